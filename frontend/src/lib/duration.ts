// Duration strings of the API ("10s", "5m", "1h", "7d") and the buckets the dashboard asks for. The parsing and the
// interval table are the backend's own (core/intervals.ts: pure, import-free, bundled by Vite), so both sides agree.
import {
  formatDuration,
  INTERVAL_MS,
  INTERVALS,
  isInterval as isCoreInterval,
  parseDuration as parseApiDuration,
  type Interval,
} from '../../../core/intervals';

export { formatDuration, INTERVAL_MS, INTERVALS };

/** "15m" → 900000; undefined when not a positive duration (surrounding spaces are ignored). */
export function parseDuration(text: string | undefined | null): number | undefined {
  const ms = parseApiDuration((text ?? '').trim());
  return ms !== undefined && ms > 0 ? ms : undefined;
}

export const RANGE_CHOICES = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;

/** Most buckets a chart asks for; the API refuses more than 10 000. */
export const MAX_BUCKETS = 1_500;
const TEN_SECOND_DATA_MS = 24 * 3_600_000;

/** The wanted interval if it fits the range, else the next coarser one that does (10s data is kept 24 h). */
export function fitInterval(rangeMs: number, wanted: Interval): Interval {
  const start = Math.max(0, INTERVALS.indexOf(wanted));
  for (const interval of INTERVALS.slice(start)) {
    if (interval === '10s' && rangeMs > TEN_SECOND_DATA_MS) continue;
    if (rangeMs / INTERVAL_MS[interval] <= MAX_BUCKETS) return interval;
  }
  return '1d';
}

/**
 * Why the interval does not fit the range (the reason fitInterval moves on from it), or null when it fits:
 * shown wherever an interval is offered or replaced, so nothing falls back silently.
 */
export function intervalRefusal(rangeMs: number, interval: Interval): string | null {
  const range = durationLabel(formatDuration(rangeMs));
  if (interval === '10s' && rangeMs > TEN_SECOND_DATA_MS) return `10 s data is kept 24 h, shorter than ${range}`;
  const buckets = Math.ceil(rangeMs / INTERVAL_MS[interval]);
  if (buckets > MAX_BUCKETS)
    return `${buckets.toLocaleString('en-US')} buckets over ${range}; at most ${MAX_BUCKETS.toLocaleString('en-US')}`;
  return null;
}

/** "1h" → "1 h", "30d" → "30 d". */
export function durationLabel(text: string): string {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) return text;
  return `${match[1]} ${match[2] === 'm' ? 'min' : match[2]}`;
}

export function isInterval(text: string | undefined): text is Interval {
  return text !== undefined && isCoreInterval(text);
}

/** Select options: "Last 15 min", "Last 1 h" … */
export const RANGE_OPTIONS = RANGE_CHOICES.map((r) => ({ value: r, label: `Last ${durationLabel(r)}` }));
/** Select options: "10 s", "1 min" … */
export const INTERVAL_OPTIONS = INTERVALS.map((i) => ({ value: i, label: durationLabel(i) }));

/** "plan=pro, region=eu" → {plan: "pro", region: "eu"} (pairs without "=" are ignored). */
export function parseFilterText(text: string): Record<string, string> {
  const pairs: [string, string][] = [];
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (key !== '') pairs.push([key, part.slice(eq + 1).trim()]);
  }
  // Object.fromEntries: a key may be `__proto__`, which plain assignment would drop. The last of a repeated key wins.
  return Object.fromEntries(pairs);
}

export function formatFilterText(filter: Readonly<Record<string, string | number | boolean>> | undefined): string {
  return Object.entries(filter ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/**
 * Interval options for a range ("" or null: each widget's own, so every interval is offered): one that cannot fit
 * the range is disabled and says why in its label.
 */
export function intervalOptionsFor(range: string | null): { value: Interval; label: string; refusal: string | null }[] {
  const rangeMs = range ? parseDuration(range) : undefined;
  return INTERVALS.map((i) => {
    const refusal = rangeMs === undefined ? null : intervalRefusal(rangeMs, i);
    return {
      value: i,
      label: refusal === null ? durationLabel(i) : `${durationLabel(i)} (too fine: ${refusal})`,
      refusal,
    };
  });
}
