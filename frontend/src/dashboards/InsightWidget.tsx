// A saved insight on a dashboard (docs/api.md#dashboards): a funnel widget draws the Funnels screen's bar chart and
// step table, a retention widget the Retention screen's cohort grid, from the saved query over the widget's range.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { funnelQueries, retentionQueries } from '../api/queries';
import type { Widget } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { EmptyState, QueryView } from '../components/PanelStates';
import { formatPercent } from '../funnels/funnelForm';
import { FunnelChart, StepTable } from '../funnels/FunnelsScreen';
import { formatNumber } from '../lib/format';
import { answerZone } from '../lib/timezone';
import { CohortGrid } from '../retention/RetentionScreen';
import { useTimeZone } from '../shell/TimeZoneContext';
import { funnelWidgetBody, retentionWidgetBody, type Overrides } from './widgetQuery';

/** The body of a funnel or retention widget: its saved query over the widget's (or the dashboard's) range. */
export function InsightBody({ widget, overrides }: { widget: Widget; overrides: Overrides }) {
  // A relative range ends when the dashboard is shown (not on every render: the query key names the body).
  const [drawnAt] = useState(() => Date.now());
  return widget.type === 'funnel' ? (
    <FunnelBody widget={widget} overrides={overrides} nowMs={drawnAt} />
  ) : (
    <RetentionBody widget={widget} overrides={overrides} nowMs={drawnAt} />
  );
}

interface BodyProps {
  widget: Widget;
  overrides: Overrides;
  nowMs: number;
}

function FunnelBody({ widget, overrides, nowMs }: BodyProps) {
  const session = useSession();
  const body = funnelWidgetBody(widget, overrides, nowMs);
  const query = useQuery({ ...funnelQueries.result(session, body!), enabled: body !== null });
  if (body === null) return <EmptyState title="This widget holds no funnel" />;
  return (
    <QueryView query={query} loading="Counting persons…" errorTitle="Could not run the funnel">
      {(answer) => {
        const last = answer.steps[answer.steps.length - 1];
        return (
          <div className="insight-widget" data-testid="funnel-widget">
            <p className="insight-widget__headline">
              {answer.steps[0]?.count === 0
                ? 'Nobody entered this funnel in the range'
                : `${formatPercent(last?.conversion_from_first ?? null)} converted from step 1 to step ${answer.steps.length}`}
            </p>
            <FunnelChart steps={answer.steps} caption={widget.title} />
            <StepTable steps={answer.steps} />
          </div>
        );
      }}
    </QueryView>
  );
}

function RetentionBody({ widget, overrides, nowMs }: BodyProps) {
  const session = useSession();
  const tenantZone = useTimeZone();
  const body = retentionWidgetBody(widget, overrides, nowMs);
  const query = useQuery({ ...retentionQueries.result(session, body!), enabled: body !== null });
  if (body === null) return <EmptyState title="This widget holds no retention query" />;
  return (
    <QueryView query={query} loading="Counting cohorts…" errorTitle="Could not compute retention">
      {(answer) => (
        <div className="insight-widget" data-testid="retention-widget">
          <p className="insight-widget__headline">
            {formatNumber(answer.cohorts.reduce((n, c) => n + c.size, 0))} persons in {answer.cohorts.length} cohort
            {answer.cohorts.length === 1 ? '' : 's'}
          </p>
          {answer.cohorts.length === 0 ? (
            <EmptyState title="No cohorts in this range" />
          ) : (
            <CohortGrid answer={answer} cohorts={answer.cohorts} zone={answerZone(answer, tenantZone).zone} />
          )}
        </div>
      )}
    </QueryView>
  );
}
