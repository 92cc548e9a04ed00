// Relative time ranges of the overview and how they become absolute [from, to) bounds.
import type { MetricInterval } from '../api/types';

export const RANGE_OPTIONS = [
  { value: '15m', label: '15 min', durationMs: 15 * 60_000 },
  { value: '1h', label: '1 h', durationMs: 60 * 60_000 },
  { value: '6h', label: '6 h', durationMs: 6 * 60 * 60_000 },
  { value: '24h', label: '24 h', durationMs: 24 * 60 * 60_000 },
] as const;

export type RangeId = (typeof RANGE_OPTIONS)[number]['value'];

export const INTERVAL_OPTIONS: readonly { value: MetricInterval; label: string }[] = [
  { value: '1m', label: '1 min' },
  { value: '5m', label: '5 min' },
  { value: '1h', label: '1 h' },
];

export function rangeLabel(range: RangeId): string {
  return RANGE_OPTIONS.find((option) => option.value === range)?.label ?? range;
}

/** "Last <range>" ending now. The API floors `from` to the interval and includes the current partial bucket. */
export function resolveRange(range: RangeId, nowMs: number): { from: string; to: string } {
  const option = RANGE_OPTIONS.find((candidate) => candidate.value === range) ?? RANGE_OPTIONS[1];
  return { from: new Date(nowMs - option.durationMs).toISOString(), to: new Date(nowMs).toISOString() };
}
