// A chart of one or more series (event types, metrics, breakdown values, the previous range): line, area, bar or
// stacked; the current, unfinished bucket drawn dashed/faded (chartData.ts), a legend with totals and units, and
// drag-to-zoom (press, drag across buckets, release) when `onZoom` is given.
import { useState } from 'react';
import {
  Area,
  Bar,
  CartesianGrid,
  Cell,
  ComposedChart,
  Line,
  ReferenceArea,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { MetricInterval } from '../api/types';
import { formatDateTime, formatDayTime, formatNumber, formatShortClock, formatShortDate } from '../lib/format';
import { INTERVAL_MS } from '../lib/duration';
import { chartRows, firstPartialIndex, legendTotal, partialKey, unitOf, type ChartSeries } from './chartData';
import { seriesColor } from './MetricChart';

export type ChartKind = 'line' | 'area' | 'bar' | 'stacked';

export interface SeriesChartProps {
  series: readonly (ChartSeries & { dashed?: boolean; color?: string })[];
  interval: MetricInterval;
  kind: ChartKind;
  /** The widget's unit for sums, averages and percentiles. */
  unit?: string;
  /** When the data was fetched: buckets ending after it are partial. */
  nowMs: number;
  /** Index of the widget (its first colour). */
  colorOffset?: number;
  onBucketClick?: (bucketStart: string) => void;
  /** Called with [from, to) of a dragged span of buckets. */
  onZoom?: (from: string, to: string) => void;
  tall?: boolean;
  /** The zone the buckets are in (the answer's `timezone`, see lib/timezone.ts answerZone); else the display zone. */
  zone?: string;
}

function tickFormatter(interval: MetricInterval, spanMs: number, zone: string | undefined) {
  if (interval === '1d') return (v: string) => formatShortDate(v, zone);
  return spanMs > 86_400_000 ? (v: string) => formatDayTime(v, zone) : (v: string) => formatShortClock(v, zone);
}

export function SeriesChart({
  series,
  interval,
  kind,
  unit,
  nowMs,
  colorOffset = 0,
  onBucketClick,
  onZoom,
  tall = false,
  zone,
}: SeriesChartProps) {
  const rows = chartRows(series, interval, nowMs);
  const partialAt = firstPartialIndex(
    rows.map((r) => r.t),
    interval,
    nowMs,
  );
  const [drag, setDrag] = useState<{ start: string; end: string } | null>(null);
  const color = (i: number) => series[i]?.color ?? seriesColor(colorOffset + i);
  const spanMs = rows.length > 1 ? Date.parse(rows[rows.length - 1]!.t) - Date.parse(rows[0]!.t) : 0;
  const stacked = kind === 'stacked';
  const label = (key: string) => {
    const partial = key.endsWith('__partial');
    const s = series.find((x) => x.key === (partial ? key.slice(0, -'__partial'.length) : key));
    return `${s?.label ?? key}${partial ? ' (bucket still filling)' : ''}`;
  };
  // Bars: one bar per bucket, the partial one faded (a dashed outline on a bar reads as a gap).
  const barRows =
    kind === 'bar'
      ? rows.map((r) => {
          const out: Record<string, unknown> = { t: r.t };
          for (const s of series) out[s.key] = r[s.key] ?? r[partialKey(s.key)] ?? null;
          return out;
        })
      : rows;

  function bucketOf(state: { activeLabel?: unknown; activeIndex?: unknown }): string | undefined {
    if (typeof state.activeLabel === 'string' && state.activeLabel !== '') return state.activeLabel;
    const index = Number(state.activeIndex);
    return Number.isInteger(index) ? rows[index]?.t : undefined;
  }

  return (
    <>
      <div
        className={tall ? 'chart chart--tall' : 'chart'}
        data-clickable={onBucketClick ? 'true' : undefined}
        data-chart-kind={kind}
      >
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart
            data={barRows}
            margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
            onMouseDown={(state) => {
              const t = onZoom ? bucketOf(state) : undefined;
              if (t) setDrag({ start: t, end: t });
            }}
            onMouseMove={(state) => {
              const t = bucketOf(state);
              if (drag && t) setDrag({ ...drag, end: t });
            }}
            onMouseUp={(state) => {
              const t = bucketOf(state) ?? drag?.end;
              if (drag && t && t !== drag.start && onZoom) {
                const [a, b] = [drag.start, t].sort((x, y) => Date.parse(x) - Date.parse(y));
                onZoom(a!, new Date(Date.parse(b!) + INTERVAL_MS[interval]).toISOString());
              } else if (drag && t && onBucketClick) onBucketClick(t);
              setDrag(null);
            }}
            onClick={(state) => {
              // Without zoom, a click is a click (with zoom, mouse up already handled it).
              const t = bucketOf(state);
              if (!onZoom && t && onBucketClick) onBucketClick(t);
            }}
          >
            <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.12} />
            <XAxis
              dataKey="t"
              tickFormatter={tickFormatter(interval, spanMs, zone)}
              minTickGap={24}
              tick={{ fontSize: 11 }}
              stroke="currentColor"
              strokeOpacity={0.4}
            />
            <YAxis
              width={48}
              tickFormatter={(value: number) => formatNumber(value)}
              tick={{ fontSize: 11 }}
              stroke="currentColor"
              strokeOpacity={0.4}
            />
            <Tooltip
              labelFormatter={(l) => `${formatDateTime(String(l), zone)}${onBucketClick ? ' · click for events' : ''}`}
              formatter={(value, name) => [
                value === null || value === undefined ? '—' : formatNumber(Number(value)),
                label(String(name)),
              ]}
            />
            {series.map((s, i) => {
              const common = {
                dataKey: s.key,
                name: s.key,
                stroke: color(i),
                isAnimationActive: false,
                strokeDasharray: s.dashed ? '5 4' : undefined,
              };
              if (kind === 'bar')
                return (
                  <Bar key={s.key} {...common} fill={color(i)} stackId={undefined}>
                    {barRows.map((_, j) => (
                      <Cell key={j} fillOpacity={partialAt !== -1 && j >= partialAt ? 0.35 : 0.85} />
                    ))}
                  </Bar>
                );
              if (kind === 'line' || s.dashed)
                return (
                  <Line key={s.key} {...common} type="monotone" strokeWidth={2} dot={false} connectNulls={false} />
                );
              return (
                <Area
                  key={s.key}
                  {...common}
                  type="monotone"
                  fill={color(i)}
                  fillOpacity={stacked ? 0.45 : 0.2}
                  strokeWidth={2}
                  stackId={stacked ? 'complete' : undefined}
                  dot={false}
                  activeDot={{ r: 5, cursor: onBucketClick ? 'pointer' : undefined }}
                />
              );
            })}
            {kind !== 'bar' &&
              partialAt !== -1 &&
              series.map((s, i) =>
                (kind === 'area' || stacked) && !s.dashed ? (
                  <Area
                    key={partialKey(s.key)}
                    dataKey={partialKey(s.key)}
                    name={partialKey(s.key)}
                    type="monotone"
                    stroke={color(i)}
                    strokeDasharray="4 4"
                    fill={color(i)}
                    fillOpacity={0.08}
                    stackId={stacked ? 'partial' : undefined}
                    isAnimationActive={false}
                    dot={false}
                    legendType="none"
                  />
                ) : (
                  <Line
                    key={partialKey(s.key)}
                    dataKey={partialKey(s.key)}
                    name={partialKey(s.key)}
                    type="monotone"
                    stroke={color(i)}
                    strokeOpacity={0.7}
                    strokeDasharray="4 4"
                    strokeWidth={2}
                    isAnimationActive={false}
                    dot={false}
                    legendType="none"
                    className="chart__partial"
                  />
                ),
              )}
            {drag && drag.start !== drag.end && (
              <ReferenceArea x1={drag.start} x2={drag.end} strokeOpacity={0.3} fill="currentColor" fillOpacity={0.1} />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <ul className="chart-legend" aria-label="Legend">
        {series.map((s, i) => {
          const total = legendTotal(
            s.metric,
            s.points.map((p) => p.value),
          );
          const u = unitOf(s.metric, unit);
          return (
            <li key={s.key} className="chart-legend__item">
              <span
                className={s.dashed ? 'chart-legend__swatch chart-legend__swatch--dashed' : 'chart-legend__swatch'}
                data-color={color(i)}
                ref={(el) => void el?.style.setProperty('--swatch', color(i))}
                aria-hidden="true"
              />
              <span className="chart-legend__label">{s.label}</span>{' '}
              <span className="chart-legend__total" data-testid="legend-total">
                {total.how === 'total' ? 'total' : 'mean'} {total.value === null ? '—' : formatNumber(total.value)}
                {u !== '' && ` ${u}`}
              </span>
            </li>
          );
        })}
        {partialAt !== -1 && (
          <li className="chart-legend__note muted">dashed/faded: the current bucket, still filling</li>
        )}
      </ul>
    </>
  );
}
