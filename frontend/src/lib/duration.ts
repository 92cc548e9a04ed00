// Duration strings of the API ("10s", "5m", "1h", "7d") and the buckets the dashboard asks for.
import type { MetricInterval } from '../api/types';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "15m" → 900000; undefined when not a duration. */
export function parseDuration(text: string | undefined | null): number | undefined {
  const match = /^(\d+)([smhd])$/.exec((text ?? '').trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  return ms > 0 ? ms : undefined;
}

export const INTERVALS: readonly MetricInterval[] = ['10s', '1m', '5m', '1h', '1d'];
export const INTERVAL_MS: Record<MetricInterval, number> = { '10s': 10_000, '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

export const RANGE_CHOICES = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;

/** Most buckets a chart asks for; the API refuses more than 10 000. */
export const MAX_BUCKETS = 1_500;
const TEN_SECOND_DATA_MS = 24 * 3_600_000;

/** The wanted interval if it fits the range, else the next coarser one that does (10s data is kept 24 h). */
export function fitInterval(rangeMs: number, wanted: MetricInterval): MetricInterval {
  const start = Math.max(0, INTERVALS.indexOf(wanted));
  for (const interval of INTERVALS.slice(start)) {
    if (interval === '10s' && rangeMs > TEN_SECOND_DATA_MS) continue;
    if (rangeMs / INTERVAL_MS[interval] <= MAX_BUCKETS) return interval;
  }
  return '1d';
}

/** "1h" → "1 h", "30d" → "30 d". */
export function durationLabel(text: string): string {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) return text;
  return `${match[1]} ${match[2] === 'm' ? 'min' : match[2]}`;
}

export function isInterval(text: string | undefined): text is MetricInterval {
  return text !== undefined && (INTERVALS as readonly string[]).includes(text);
}

/** "plan=pro, region=eu" → {plan: "pro", region: "eu"} (pairs without "=" are ignored). */
export function parseFilterText(text: string): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (key !== '') filter[key] = part.slice(eq + 1).trim();
  }
  return filter;
}

export function formatFilterText(filter: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(filter ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
