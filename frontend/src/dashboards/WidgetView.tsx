// One dashboard widget rendered from its config: timeseries, number, table, recent events, or a saved funnel or
// retention query (InsightWidget.tsx).
import { useInfiniteQuery, useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { metricQuery } from '../api/metrics';
import { boundsOf, eventsQueries, metricsQueries } from '../api/queries';
import type { MetricAnswer, MetricSeries, Widget } from '../api/types';
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
import { hrefFor, navigate, personHref } from '../lib/router';
import { resolveRange } from '../lib/timeRange';
import { useLive } from '../shell/LiveContext';
import { widgetChartSeries } from './chartData';
import { breakdownNumber, breakdownTable, formatShare, valueFilter } from './breakdownView';
import { SeriesChart } from './SeriesChart';
import { InsightBody } from './InsightWidget';
import { saveText } from '../lib/download';
import { ApiError } from '../api/client';
import {
  explorerHrefForBucket,
  explorerHrefForSeries,
  INSIGHT_DEFAULT_RANGE,
  isInsightWidget,
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
  if (isInsightWidget(widget)) return <InsightWidgetView widget={widget} overrides={overrides} />;
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

/** A saved funnel or retention query (docs/api.md#dashboards): it follows the dashboard's range, not its interval. */
function InsightWidgetView({ widget, overrides }: { widget: Widget; overrides: Overrides }) {
  const width = Math.min(12, Math.max(1, widget.layout?.w ?? 6));
  const own = widget.query.range ?? INSIGHT_DEFAULT_RANGE[widget.type === 'retention' ? 'retention' : 'funnel'];
  return (
    <Card
      className={`panel widget widget--w${width} widget--${widget.type}`}
      title={widget.title || 'Untitled'}
      header={
        <span className="muted widget__meta">
          {widget.type === 'funnel' ? 'funnel' : 'retention'} ·{' '}
          {overrides.absolute
            ? `${formatDateTime(overrides.absolute.from)} – ${formatDateTime(overrides.absolute.to)}`
            : `last ${durationLabel(overrides.range ?? own)}`}
        </span>
      }
    >
      <InsightBody widget={widget} overrides={overrides} />
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

  if (widget.type === 'number' && data.series !== undefined) {
    return (
      <div className="number-widget">
        {refreshFailed}
        <BreakdownNumber answer={data} query={query} explorerAll={explorerAll} />
      </div>
    );
  }

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

  if (widget.type === 'table' && data.series !== undefined) {
    return (
      <>
        {refreshFailed}
        <BreakdownTable
          answer={data}
          query={query}
          zone={zone.zone}
          caption={`${widget.title || query.eventType} per ${query.interval} by ${data.breakdown}, newest first`}
        />
      </>
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

/** The explorer, filtered to the events of one breakdown value (null for $other and $none, which no filter selects). */
function valueHref(query: ResolvedQuery, answer: MetricAnswer, value: string): string | null {
  const filter = answer.breakdown === undefined ? null : valueFilter(answer.breakdown, value);
  return filter === null ? null : explorerHrefForSeries({ ...query, filter: { ...query.filter, ...filter } }, answer);
}

/** A number widget with a breakdown: the total, then each value (top first, then $other and $none) and its share. */
function BreakdownNumber({
  answer,
  query,
  explorerAll,
}: {
  answer: MetricAnswer;
  query: ResolvedQuery;
  explorerAll: string;
}) {
  const { total, rows, rowsNote } = breakdownNumber(answer, query.metric);
  return (
    <>
      <span className="number-widget__value" data-testid="number-value">
        {total.value === null ? '—' : formatNumber(total.value)}
      </span>
      {total.note !== null && <span className="muted number-widget__note">{total.note}</span>}
      <span className="muted number-widget__note">
        by {answer.breakdown}
        {rowsNote !== null && `: ${rowsNote}`}
      </span>
      {rows.length === 0 ? (
        <span className="muted">No {query.eventType} events in this range.</span>
      ) : (
        <ol className="breakdown-list" aria-label={`${query.metric} by ${answer.breakdown}`}>
          {rows.map((row) => {
            const href = valueHref(query, answer, row.value);
            const share = row.share === null ? null : formatShare(row.share);
            return (
              <li key={row.value} className="breakdown-list__item" data-testid="breakdown-row">
                <span className="breakdown-list__label">
                  {href === null ? (
                    <span className={row.value.startsWith('$') && !row.value.startsWith('$$') ? 'muted' : undefined}>
                      {row.label}
                    </span>
                  ) : (
                    <a href={href} title={`Events with ${answer.breakdown} = ${row.label}`}>
                      {row.label}
                    </a>
                  )}
                </span>
                <span className="num breakdown-list__total">{row.total === null ? '—' : formatNumber(row.total)}</span>
                {share !== null && <span className="num muted breakdown-list__share">{share}</span>}
                {row.share !== null && (
                  <span
                    className="breakdown-list__bar"
                    aria-hidden="true"
                    ref={(el) =>
                      void el?.style.setProperty('--share', `${Math.max(0, Math.min(1, row.share!)) * 100}%`)
                    }
                  />
                )}
              </li>
            );
          })}
        </ol>
      )}
      <a className="muted" href={explorerAll}>
        See events
      </a>
    </>
  );
}

/**
 * A table widget with a breakdown: a row per bucket, the total (the widget's own series) then a column per value, and
 * a first row with the range's totals. For count and sum the values add up to the total in every bucket: the note
 * says so, and says which buckets do not if any ever does not.
 */
function BreakdownTable({
  answer,
  query,
  zone,
  caption,
}: {
  answer: MetricAnswer;
  query: ResolvedQuery;
  zone: string;
  caption: string;
}) {
  const table = breakdownTable(answer, query.metric);
  const cell = (v: number | null) => (v === null ? '—' : formatNumber(v));
  return (
    <>
      <DataTable
        className="widget__table"
        caption={caption}
        columns={[
          'Bucket start',
          `Total (${query.metric})`,
          ...table.columns.map((c) => c.label),
          <span className="visually-hidden">Events</span>,
        ]}
      >
        <tr className="breakdown-table__totals" data-testid="breakdown-totals">
          <th scope="row">Whole range</th>
          <td className="num">{cell(table.totals.total)}</td>
          {table.totals.values.map((v, i) => (
            <td key={table.columns[i]!.value} className="num">
              {cell(v)}
            </td>
          ))}
          <td>
            <a href={explorerHrefForSeries(query, answer)} aria-label="Events of the whole range">
              events
            </a>
          </td>
        </tr>
        {table.rows.map((row) => (
          <tr key={row.t} className={row.mismatch ? 'breakdown-table__mismatch' : undefined}>
            <td>
              <time dateTime={row.t}>{formatDateTime(row.t, zone)}</time>
            </td>
            <td className="num">
              {cell(row.total)}
              {row.mismatch && (
                <span className="badge badge--warn" title="The values of this bucket do not add up to its total">
                  ≠
                </span>
              )}
            </td>
            {row.values.map((v, i) => (
              <td key={table.columns[i]!.value} className="num">
                {cell(v)}
              </td>
            ))}
            <td>
              <a
                href={explorerHrefForBucket(query, row.t, answer.interval)}
                aria-label={`Events from ${formatDateTime(row.t, zone)}`}
              >
                events
              </a>
            </td>
          </tr>
        ))}
      </DataTable>
      <p className="panel__note muted" data-testid="breakdown-reconcile">
        {table.adds
          ? table.mismatches === 0
            ? `Total is the widget’s own series; in every bucket it is the sum of the ${table.columns.length} value columns (other values and (property missing) included).`
            : `In ${table.mismatches} bucket(s), marked ≠, the value columns do not add up to the total.`
          : query.metric === 'unique_users'
            ? 'Total is the widget’s own series; the value columns do not add up to it (a user may be in several values).'
            : `Total is the widget’s own series; each value column is that value’s own ${query.metric.split(':')[0]}, which does not add up.`}
      </p>
    </>
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
            {event.user_id !== null && (
              <span className="muted">
                user <a href={personHref(event.user_id, event.project)}>{event.user_id}</a>
              </span>
            )}
          </li>
        ))}
      </ul>
      <a href={explorerHref}>Open in explorer</a>
    </>
  );
}
