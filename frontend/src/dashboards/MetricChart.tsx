// Time series of one metric (recharts area chart); clicking a bucket opens the events behind it.
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricSeries } from '../api/types';
import { formatDateTime, formatNumber, formatShortClock, formatShortDate } from '../lib/format';

/** Distinct, colour-blind-friendly enough hues for up to 8 series (Okabe–Ito based). */
const SERIES_COLORS = ['#2f6fde', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#8a6d00', '#6b6bd6'] as const;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] ?? SERIES_COLORS[0];
}

interface MetricChartProps {
  series: MetricSeries;
  color: string;
  /** Called with the bucket start of a clicked point. */
  onBucketClick?: (bucketStart: string) => void;
  /** A taller chart (wide single-chart layouts). */
  tall?: boolean;
}

function tickFormatter(interval: string) {
  return (value: string) => (interval === '1d' ? formatShortDate(value) : formatShortClock(value));
}

export function MetricChart({ series, color, onBucketClick, tall = false }: MetricChartProps) {
  return (
    <div className={tall ? 'chart chart--tall' : 'chart'} data-clickable={onBucketClick ? 'true' : undefined}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart
          data={series.points}
          margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          onClick={(state) => {
            const index = typeof state.activeIndex === 'number' ? state.activeIndex : Number(state.activeIndex);
            const point = Number.isInteger(index) ? series.points[index] : undefined;
            if (point && onBucketClick) onBucketClick(point.t);
          }}
        >
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.12} />
          <XAxis
            dataKey="t"
            tickFormatter={tickFormatter(series.interval)}
            minTickGap={24}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <YAxis
            allowDecimals={!series.metric.startsWith('count')}
            width={44}
            tickFormatter={(value: number) => formatNumber(value)}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <Tooltip
            labelFormatter={(label) => `${formatDateTime(String(label))}${onBucketClick ? ' · click for events' : ''}`}
            formatter={(value) => [value === null ? '—' : formatNumber(Number(value)), series.metric]}
          />
          <Area
            type="monotone"
            dataKey="value"
            name={series.metric}
            stroke={color}
            fill={color}
            fillOpacity={0.2}
            strokeWidth={2}
            isAnimationActive={false}
            dot={false}
            activeDot={{ r: 5, cursor: onBucketClick ? 'pointer' : undefined }}
          />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
