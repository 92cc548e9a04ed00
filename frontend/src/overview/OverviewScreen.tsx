// The overview after sign-in: header with freshness, controls, per-type charts, recent events.
import { useIsFetching, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { catalogQueries, eventsQueries, metricsQueries } from '../api/queries';
import { useAuth, useSession } from '../auth/AuthProvider';
import { EVENT_TYPES_REFRESH_MS, LIVE_REFRESH_MS, MAX_CHARTED_EVENT_TYPES } from '../config';
import { oldestTime } from '../lib/format';
import { EventTypesSection } from './EventTypesSection';
import { FreshnessIndicator } from './FreshnessIndicator';
import { DEFAULT_OVERVIEW_SETTINGS, OverviewControls, type OverviewSettings } from './OverviewControls';
import { RecentEventsPanel } from './RecentEventsPanel';

export function OverviewScreen() {
  const session = useSession();
  const { signOut } = useAuth();
  const queryClient = useQueryClient();
  const [settings, setSettings] = useState<OverviewSettings>(DEFAULT_OVERVIEW_SETTINGS);
  const { range, interval, live } = settings;

  const eventTypes = useQuery({
    ...catalogQueries.eventTypes(session),
    refetchInterval: live ? EVENT_TYPES_REFRESH_MS : false,
  });
  const chartedTypes = (eventTypes.data ?? []).slice(0, MAX_CHARTED_EVENT_TYPES);
  const series = useQueries({
    queries: chartedTypes.map((eventType) => ({
      ...metricsQueries.series(session, { eventType, metric: 'count', interval, range }),
      refetchInterval: live ? LIVE_REFRESH_MS : false,
    })),
  });
  const charted = chartedTypes.flatMap((eventType, index) => {
    const result = series[index];
    return result === undefined ? [] : [{ eventType, series: result }];
  });

  // The charts are only as fresh as the least fresh of them.
  const dataAsOf = oldestTime(series.map((result) => result.data?.data_as_of));
  const freshnessPending = eventTypes.isPending || series.some((result) => result.isPending);

  const fetchingCount = useIsFetching({ queryKey: metricsQueries.all(session) });
  function refreshNow() {
    for (const queryKey of [catalogQueries.all(session), metricsQueries.all(session), eventsQueries.all(session)]) {
      void queryClient.invalidateQueries({ queryKey });
    }
  }

  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar__brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="topbar__name">CustomerSignal</span>
        </div>
        <FreshnessIndicator dataAsOf={dataAsOf} pending={freshnessPending} />
        <button type="button" className="button button--ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </header>

      <main className="overview">
        <h1 className="visually-hidden">Overview</h1>
        <OverviewControls settings={settings} onChange={setSettings} onRefresh={refreshNow} refreshing={!live && fetchingCount > 0} />
        <EventTypesSection eventTypes={eventTypes} charted={charted} range={range} interval={interval} />
        <RecentEventsPanel live={live} />
      </main>
    </div>
  );
}

export default OverviewScreen;
