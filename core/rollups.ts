// Planning of rollup writes from a batch of raw events: dedupe, retention, sorted bucket deltas. Pure.
import type { RawEvent } from './raw-event';
import { bucketStart, type Interval } from './intervals';

/** Intervals the aggregate step maintains. */
export const ROLLUP_INTERVALS: readonly Interval[] = ['10s', '1m', '5m', '1h', '1d'];

export type RollupMetric = 'count';

export interface RollupKey {
  tenantId: string;
  projectId: string;
  eventType: string;
  metric: RollupMetric;
  interval: Interval;
  bucketMs: number;
}

export interface RollupDelta extends RollupKey {
  delta: number;
}

export interface RollupValue extends RollupKey {
  value: number;
  version: number;
}

export function rollupKeyId(k: RollupKey): string {
  return JSON.stringify([k.tenantId, k.projectId, k.eventType, k.metric, k.interval, k.bucketMs]);
}

/** One total order over keys shared by every writer, so concurrent upserts lock rows in the same order. */
export function compareRollupKeys(a: RollupKey, b: RollupKey): number {
  return (
    cmp(a.tenantId, b.tenantId) ||
    cmp(a.projectId, b.projectId) ||
    cmp(a.eventType, b.eventType) ||
    cmp(a.metric, b.metric) ||
    cmp(a.interval, b.interval) ||
    a.bucketMs - b.bucketMs
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first copy of each (tenant, event_id) in batch order; later copies are duplicates. */
export function firstCopies(events: RawEvent[]): RawEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const id = e.tenantId + '\u0000' + e.eventId;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Events still inside the retention window; older ones may already have had their ids forgotten. */
export function withinRetention(events: RawEvent[], nowMs: number, retentionMs: number): RawEvent[] {
  const oldest = nowMs - retentionMs;
  return events.filter((e) => e.timestampMs >= oldest);
}

/** Count deltas per bucket, sorted by key. */
export function planCountDeltas(events: RawEvent[], intervals: readonly Interval[] = ROLLUP_INTERVALS): RollupDelta[] {
  const byKey = new Map<string, RollupDelta>();
  for (const e of events) {
    for (const interval of intervals) {
      const key: RollupKey = {
        tenantId: e.tenantId,
        projectId: e.projectId,
        eventType: e.eventType,
        metric: 'count',
        interval,
        bucketMs: bucketStart(e.timestampMs, interval),
      };
      const id = rollupKeyId(key);
      const existing = byKey.get(id);
      if (existing) existing.delta += 1;
      else byKey.set(id, { ...key, delta: 1 });
    }
  }
  return [...byKey.values()].sort(compareRollupKeys);
}

/** Every bucket a batch touches, new events or not: what must be read back and written to Redis. */
export function touchedKeys(events: RawEvent[], intervals: readonly Interval[] = ROLLUP_INTERVALS): RollupKey[] {
  return planCountDeltas(events, intervals).map(({ delta: _delta, ...key }) => key);
}
