// Time series of one event type (recharts area chart).
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricSeries } from '../api/types';
import { formatDateTime, formatNumber, formatShortClock } from '../lib/format';

/** Distinct, colour-blind-friendly enough hues for up to 8 series (Okabe–Ito based). */
const SERIES_COLORS = ['#2f6fde', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#8a6d00', '#6b6bd6'] as const;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] ?? SERIES_COLORS[0];
}

interface MetricChartProps {
  series: MetricSeries;
  color: string;
}

export function MetricChart({ series, color }: MetricChartProps) {
  return (
    <div className="chart">
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={series.points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.12} />
          <XAxis
            dataKey="t"
            tickFormatter={(value: string) => formatShortClock(value)}
            minTickGap={24}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <YAxis
            allowDecimals={false}
            width={44}
            tickFormatter={(value: number) => formatNumber(value)}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <Tooltip
            labelFormatter={(label) => formatDateTime(String(label))}
            formatter={(value) => [formatNumber(Number(value)), series.metric]}
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
          />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
