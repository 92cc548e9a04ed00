// One dashboard widget rendered from its config: timeseries, number, table or recent events.
import { useInfiniteQuery, useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { metricQuery } from '../api/metrics';
import { boundsOf, eventsQueries, metricsQueries } from '../api/queries';
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
import { answerZone, zoneLabel } from '../lib/timezone';
import { useTimeZone } from '../shell/TimeZoneContext';
import { hrefFor, navigate } from '../lib/router';
import { resolveRange } from '../lib/timeRange';
import { useLive } from '../shell/LiveContext';
import { widgetChartSeries } from './chartData';
import { SeriesChart } from './SeriesChart';
import { saveText } from '../lib/download';
import { ApiError } from '../api/client';
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
  /** Drag-to-zoom on a chart: the dashboard switches to that absolute range. */
  onZoom?: (from: string, to: string) => void;
}

export function WidgetView({ widget, index, overrides, onZoom }: WidgetViewProps) {
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
            {widget.type === 'events' ? 'recent events' : `${query.metric} · per ${durationLabel(query.interval)}`} ·{' '}
            {query.from !== undefined && query.to !== undefined
              ? `${formatDateTime(query.from)} – ${formatDateTime(query.to)}`
              : `last ${durationLabel(query.range)}`}
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
        <MetricBody widget={widget} query={query} index={index} onZoom={onZoom} />
      )}
    </Card>
  );
}

function MetricBody({
  widget,
  query,
  index,
  onZoom,
}: {
  widget: Widget;
  query: ResolvedQuery;
  index: number;
  onZoom?: (from: string, to: string) => void;
}) {
  const session = useSession();
  const { live } = useLive();
  const tenantZone = useTimeZone();
  // An absolute range does not move: no live refresh (a failed query still retries by itself).
  const liveMs = live && query.from === undefined ? LIVE_REFRESH_MS : false;
  const series = useQuery({
    ...metricsQueries.series(session, query),
    refetchInterval: refetchEvery(liveMs),
  });
  const extraSpecs = widget.type === 'timeseries' ? (widget.query.series ?? []) : [];
  const extras = useQueries({
    queries: extraSpecs.map((spec) => ({
      ...metricsQueries.series(session, {
        ...query,
        eventType: spec.event_type,
        metric: spec.metric ?? 'count',
        compare: undefined,
        breakdown: undefined,
      }),
      refetchInterval: refetchEvery(liveMs),
    })),
  });
  const [exporting, setExporting] = useState<string | null>(null);

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
  // The buckets' zone is the one the answer names (1h/1d buckets start at its local hours and midnights).
  const zone = answerZone(data, tenantZone);
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
          zone={zone.zone}
          caption={`${widget.title || query.eventType} per ${query.interval}, newest first`}
        />
      </>
    );
  }

  const chartSeries = widgetChartSeries(
    {
      label: query.metric === 'count' ? query.eventType : `${query.eventType} ${query.metric}`,
      answer: data,
    },
    extraSpecs.map((spec, i) => ({
      label: spec.label ?? `${spec.event_type}${spec.metric && spec.metric !== 'count' ? ` ${spec.metric}` : ''}`,
      answer: extras[i]?.data,
    })),
  );
  const kind = data.series !== undefined ? 'stacked' : (widget.chart ?? 'area');

  async function exportCsv() {
    setExporting('Exporting…');
    try {
      const answer = await session.client.getText('/v1/metrics', {
        query: { ...metricQuery({ ...query, ...boundsOf(query, Date.now()) }), format: 'csv' },
      });
      saveText(answer.text, answer.filename ?? `${query.eventType}-${query.metric}.csv`, 'text/csv');
      setExporting(null);
    } catch (error) {
      setExporting(error instanceof ApiError ? `Export failed: ${error.message}` : 'Export failed.');
    }
  }

  return (
    <>
      {refreshFailed}
      <SeriesChart
        series={chartSeries}
        interval={data.interval}
        kind={kind}
        unit={widget.unit}
        nowMs={series.dataUpdatedAt}
        colorOffset={index}
        onBucketClick={(t) => navigate(explorerHrefForBucket(query, t, data.interval))}
        onZoom={onZoom}
        zone={zone.zone}
      />
      {data.series !== undefined && data.source !== undefined && (
        <p className="panel__note muted">
          Breakdown by {data.breakdown}, read from {data.source === 'raw' ? 'raw events' : 'rollups'}.
        </p>
      )}
      <div className="widget__actions">
        <span
          className="muted"
          data-testid="chart-zone"
          title={
            zone.source === 'answer'
              ? 'The zone this answer’s buckets are in (its "timezone")'
              : zone.source === 'tenant'
                ? 'The tenant’s time zone (the answer named none)'
                : 'UTC: the tenant time zone is unknown'
          }
        >
          {zoneLabel(zone.zone, series.dataUpdatedAt)}
        </span>
        <button type="button" className="button button--ghost button--small" onClick={() => void exportCsv()}>
          Download CSV
        </button>
        {exporting !== null && (
          <span className="muted" role="status">
            {exporting}
          </span>
        )}
      </div>
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
          zone={zone.zone}
          caption={`${widget.title || query.eventType} per ${query.interval}, newest first`}
        />
      </details>
    </>
  );
}

function BucketTable({
  series,
  query,
  zone,
  caption,
}: {
  series: MetricSeries;
  query: ResolvedQuery;
  zone: string;
  caption: string;
}) {
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
            <time dateTime={point.t}>{formatDateTime(point.t, zone)}</time>
          </td>
          <td className="num">{point.value === null ? '—' : formatNumber(point.value)}</td>
          <td>
            <a
              href={explorerHrefForBucket(query, point.t, series.interval)}
              aria-label={`Events from ${formatDateTime(point.t, zone)}`}
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
