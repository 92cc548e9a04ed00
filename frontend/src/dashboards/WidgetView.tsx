// One dashboard widget rendered from its config: timeseries, number, table or recent events.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { eventsQueries, metricsQueries } from '../api/queries';
import type { MetricSeries, Widget } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { Card } from '../components/Card';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, LoadingState } from '../components/PanelStates';
import { SendEventHint } from '../components/SendEventHint';
import { LIVE_REFRESH_MS } from '../config';
import { refetchEvery } from '../api/retry';
import { durationLabel } from '../lib/duration';
import { formatDateTime, formatNumber } from '../lib/format';
import { hrefFor, navigate } from '../lib/router';
import { resolveRange } from '../lib/timeRange';
import { useLive } from '../shell/LiveContext';
import { MetricChart, seriesColor } from './MetricChart';
import {
  explorerHrefForBucket,
  explorerHrefForSeries,
  numberValue,
  resolveWidgetQuery,
  type Overrides,
  type ResolvedQuery,
} from './widgetQuery';

interface WidgetViewProps {
  widget: Widget;
  index: number;
  overrides: Overrides;
}

export function WidgetView({ widget, index, overrides }: WidgetViewProps) {
  const query = resolveWidgetQuery(widget.query, overrides);
  const width = Math.min(
    12,
    Math.max(1, widget.layout?.w ?? (widget.type === 'number' ? 3 : widget.type === 'events' ? 12 : 6)),
  );
  return (
    <Card
      className={`panel widget widget--w${width} widget--${widget.type}`}
      title={widget.title || query.eventType || 'Untitled'}
      header={
        <>
          <span className="muted widget__meta">
            {widget.type === 'events' ? 'recent events' : `${query.metric} · per ${durationLabel(query.interval)}`} ·
            last {durationLabel(query.range)}
          </span>
          {widget.type !== 'events' && query.intervalNote !== undefined && (
            <span className="badge badge--warn" data-testid="interval-note" title={query.intervalNote}>
              {query.intervalNote}
            </span>
          )}
        </>
      }
    >
      {widget.type === 'events' ? (
        <EventsBody query={query} />
      ) : query.eventType === '' ? (
        <EmptyState title="No event type configured" />
      ) : (
        <MetricBody widget={widget} query={query} index={index} />
      )}
    </Card>
  );
}

function MetricBody({ widget, query, index }: { widget: Widget; query: ResolvedQuery; index: number }) {
  const session = useSession();
  const { live } = useLive();
  const series = useQuery({
    ...metricsQueries.series(session, query),
    refetchInterval: refetchEvery(live ? LIVE_REFRESH_MS : false),
  });

  if (series.data === undefined) {
    return series.isError ? (
      <ErrorState
        title={`Could not load ${query.eventType}`}
        error={series.error}
        autoRetry
        onRetry={() => void series.refetch()}
      />
    ) : (
      <LoadingState label={`Loading ${query.eventType}…`} />
    );
  }
  const data = series.data;
  const explorerAll = explorerHrefForSeries(query, data);
  const refreshFailed = series.isRefetchError && (
    <span className="badge badge--warn" title={series.error.message}>
      refresh failed
    </span>
  );

  if (widget.type === 'number') {
    const { value, note } = numberValue(data, query.metric);
    return (
      <div className="number-widget">
        <span className="number-widget__value" data-testid="number-value">
          {value === null ? '—' : formatNumber(value)}
        </span>
        {note !== null && <span className="muted number-widget__note">{note}</span>}
        <a className="muted" href={explorerAll}>
          See events
        </a>
        {refreshFailed}
      </div>
    );
  }

  if (widget.type === 'table') {
    return (
      <>
        {refreshFailed}
        <BucketTable
          series={data}
          query={query}
          caption={`${widget.title || query.eventType} per ${query.interval}, newest first`}
        />
      </>
    );
  }

  return (
    <>
      {refreshFailed}
      <MetricChart
        series={data}
        color={seriesColor(index)}
        onBucketClick={(t) => navigate(explorerHrefForBucket(query, t, data.interval))}
      />
      <p className="panel__note muted">
        {data.points.every((p) => !p.value)
          ? `No ${query.eventType} events in this range. `
          : 'Click a point to see its events. '}
        <a href={explorerAll}>All events in range</a>
      </p>
      {/* The keyboard way to a bucket's events, and the numbers behind the chart. */}
      <details className="widget__details">
        <summary>Data table</summary>
        <BucketTable
          series={data}
          query={query}
          caption={`${widget.title || query.eventType} per ${query.interval}, newest first`}
        />
      </details>
    </>
  );
}

function BucketTable({ series, query, caption }: { series: MetricSeries; query: ResolvedQuery; caption: string }) {
  const rows = [...series.points].reverse();
  return (
    <DataTable
      className="widget__table"
      caption={caption}
      columns={['Bucket start', query.metric, <span className="visually-hidden">Events</span>]}
    >
      {rows.map((point) => (
        <tr key={point.t}>
          <td>
            <time dateTime={point.t}>{formatDateTime(point.t)}</time>
          </td>
          <td className="num">{point.value === null ? '—' : formatNumber(point.value)}</td>
          <td>
            <a
              href={explorerHrefForBucket(query, point.t, series.interval)}
              aria-label={`Events from ${formatDateTime(point.t)}`}
            >
              events
            </a>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function EventsBody({ query }: { query: ResolvedQuery }) {
  const session = useSession();
  const { live } = useLive();
  const filters = {
    event_type: query.eventType || undefined,
    project: query.project,
    ...Object.fromEntries(Object.entries(query.filter).map(([k, v]) => [`prop.${k}`, v])),
  };
  const events = useInfiniteQuery({
    ...eventsQueries.list(session, { limit: 10, filters, range: query.range }),
    refetchInterval: refetchEvery(live ? LIVE_REFRESH_MS : false),
  });
  if (events.data === undefined) {
    return events.isError ? (
      <ErrorState title="Could not load events" error={events.error} autoRetry onRetry={() => void events.refetch()} />
    ) : (
      <LoadingState label="Loading events…" />
    );
  }
  const list = events.data.pages[0]?.events ?? [];
  // `from` as the list's query resolved it when it fetched (not at each render: rendering stays pure).
  const explorerHref = hrefFor('explorer', { ...filters, from: resolveRange(query.range, events.dataUpdatedAt).from });
  if (list.length === 0)
    return query.eventType === '' && query.project === undefined && Object.keys(query.filter).length === 0 ? (
      <SendEventHint />
    ) : (
      <EmptyState title="No matching events yet" />
    );
  return (
    <>
      <ul className="event-list">
        {list.map((event) => (
          <li key={event.event_id}>
            <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>{' '}
            <strong>{event.event_type}</strong> <span className="muted">{event.project}</span>{' '}
            {event.user_id !== null && <span className="muted">user {event.user_id}</span>}
          </li>
        ))}
      </ul>
      <a href={explorerHref}>Open in explorer</a>
    </>
  );
}
