// Per event type: a number tile with the total over the range and a time-series chart.
import type { UseQueryResult } from '@tanstack/react-query';
import { totalOf } from '../api/metrics';
import type { MetricInterval, MetricSeries } from '../api/types';
import { ErrorState, LoadingState } from '../components/PanelStates';
import { SendEventHint } from '../components/SendEventHint';
import { formatNumber } from '../lib/format';
import { rangeLabel, type RangeId } from '../lib/timeRange';
import { MetricChart, seriesColor } from './MetricChart';

export interface ChartedType {
  eventType: string;
  series: UseQueryResult<MetricSeries>;
}

interface EventTypesSectionProps {
  eventTypes: UseQueryResult<string[]>;
  charted: readonly ChartedType[];
  range: RangeId;
  interval: MetricInterval;
}

export function EventTypesSection({ eventTypes, charted, range, interval }: EventTypesSectionProps) {
  const allTypes = eventTypes.data ?? [];
  return (
    <section className="section" aria-labelledby="event-types-heading">
      <div className="section__header">
        <h2 id="event-types-heading">Event types</h2>
        <p className="muted">
          Count per {interval}, last {rangeLabel(range)}
          {allTypes.length > charted.length && ` · showing ${charted.length} of ${allTypes.length} types`}
        </p>
      </div>

      {eventTypes.isPending ? (
        <LoadingState label="Loading event types…" />
      ) : eventTypes.data === undefined ? (
        <ErrorState title="Could not load event types" error={eventTypes.error} onRetry={() => void eventTypes.refetch()} />
      ) : charted.length === 0 ? (
        <SendEventHint />
      ) : (
        <>
          <ul className="tiles" aria-label={`Totals over the last ${rangeLabel(range)}`}>
            {charted.map(({ eventType, series }, index) => (
              <li key={eventType} className={`tile tile--c${index % 8}`}>
                <span className="tile__label" title={eventType}>{eventType}</span>
                <span className="tile__value">
                  {series.data !== undefined ? formatNumber(totalOf(series.data)) : series.isError ? '—' : '…'}
                </span>
                <span className="tile__sub">last {rangeLabel(range)}</span>
              </li>
            ))}
          </ul>

          <div className="charts">
            {charted.map(({ eventType, series }, index) => (
              <article key={eventType} className="panel" aria-labelledby={`chart-${index}`}>
                <header className="panel__header">
                  <h3 id={`chart-${index}`} className="panel__title">
                    {eventType}
                  </h3>
                  {series.isPlaceholderData && <span className="badge">updating…</span>}
                  {series.isRefetchError && (
                    <span className="badge badge--warn" title={series.error.message}>
                      refresh failed
                    </span>
                  )}
                </header>
                {series.data !== undefined ? (
                  <>
                    <MetricChart series={series.data} color={seriesColor(index)} />
                    {totalOf(series.data) === 0 && <p className="muted panel__note">No {eventType} events in this range.</p>}
                  </>
                ) : series.isError ? (
                  <ErrorState title={`Could not load ${eventType}`} error={series.error} onRetry={() => void series.refetch()} />
                ) : (
                  <LoadingState label={`Loading ${eventType}…`} />
                )}
              </article>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
