// The rule's metric over a past range with its threshold, as POST /v1/alert-rules/preview evaluated it.
import {
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  Area,
} from 'recharts';
import type { PreviewResult } from '../api/types';
import { formatDateTime, formatNumber, formatShortClock } from '../lib/format';

export function PreviewChart({ preview }: { preview: PreviewResult }) {
  const data = preview.series.map((p) => ({
    t: p.t,
    value: p.value,
    firing: p.state === 'firing' || p.state === 'pending' ? p.value : null,
    state: p.state,
  }));
  return (
    <div
      className="chart chart--tall"
      role="img"
      aria-label={`Preview: ${preview.fired.length} firing transition(s) at threshold ${preview.op} ${preview.threshold ?? ''}`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.12} />
          <XAxis
            dataKey="t"
            tickFormatter={(v: string) => formatShortClock(v)}
            minTickGap={24}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <YAxis
            width={44}
            tickFormatter={(v: number) => formatNumber(v)}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <Tooltip
            labelFormatter={(label) => formatDateTime(String(label))}
            formatter={(value, name) => [
              value === null ? '—' : formatNumber(Number(value)),
              name === 'firing' ? 'value (condition true)' : 'value',
            ]}
          />
          <Area
            type="stepAfter"
            dataKey="value"
            stroke="#2f6fde"
            fill="#2f6fde"
            fillOpacity={0.15}
            strokeWidth={2}
            isAnimationActive={false}
            dot={false}
            connectNulls={false}
          />
          <Line
            type="stepAfter"
            dataKey="firing"
            stroke="#d55e00"
            strokeWidth={3}
            isAnimationActive={false}
            dot={false}
            connectNulls={false}
          />
          {preview.threshold !== null && (
            <ReferenceLine
              y={preview.threshold}
              stroke="#d55e00"
              strokeDasharray="4 4"
              label={{
                value: `threshold ${preview.op} ${preview.threshold}`,
                position: 'insideTopRight',
                fontSize: 11,
                fill: 'currentColor',
              }}
            />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
