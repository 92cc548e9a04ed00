// Durations and UTC-aligned time buckets. Pure and import-free: the dashboard SPA (frontend/src/lib/duration.ts) imports it too.
export const INTERVALS = ['10s', '1m', '5m', '1h', '1d'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Record<Interval, number> = {
  '10s': 10_000,
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

export function isInterval(v: string): v is Interval {
  return (INTERVALS as readonly string[]).includes(v);
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses an API duration string (`10s`, `5m`, `1h`, `1d`) into milliseconds, or undefined. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Milliseconds as the largest whole API duration unit (`300000` → `5m`); else rounded seconds. Also used by the dashboard SPA. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** Start of the bucket containing `ms`. Epoch-aligned, which is UTC-aligned for all our intervals. */
export function bucketStart(ms: number, interval: Interval): number {
  const size = INTERVAL_MS[interval];
  return Math.floor(ms / size) * size;
}

/** Every bucket start in [floor(from), to). */
export function bucketRange(fromMs: number, toMs: number, interval: Interval): number[] {
  const size = INTERVAL_MS[interval];
  const out: number[] = [];
  for (let t = bucketStart(fromMs, interval); t < toMs; t += size) out.push(t);
  return out;
}

export function bucketCount(fromMs: number, toMs: number, interval: Interval): number {
  if (toMs <= fromMs) return 0;
  return Math.ceil((toMs - bucketStart(fromMs, interval)) / INTERVAL_MS[interval]);
}
