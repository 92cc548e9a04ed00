// Planning of `customersignal rebuild` (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools): which hours and days of derived data are recomputed
// from the raw table. Pure.
import { bucketStart, INTERVAL_MS } from './intervals';
import { TEN_SECOND_KEEP_MS } from './rollups';

const HOUR = INTERVAL_MS['1h'];
const DAY = INTERVAL_MS['1d'];

export interface RebuildPlan {
  /** Whole UTC days, oldest first: a 1d bucket is only rebuilt with every one of its hours. */
  days: { dayMs: number; hours: number[] }[];
  fromMs: number;
  toMs: number;
  /** 10s buckets before this are not recreated (retention deletes them). */
  tenSecondFromMs: number;
}

export class RebuildRangeError extends Error {
  override name = 'RebuildRangeError';
}

/**
 * The range widened to whole UTC days. Raw events older than the retention cutoff's day are gone (their
 * partitions dropped), and the 1h/1d rollups are then the only history left: rebuilding them would erase it, so
 * such a range is refused. `to` defaults to the end of the day holding now + the allowed future clock skew.
 */
export function planRebuild(q: {
  fromMs: number;
  toMs?: number;
  nowMs: number;
  retentionMs: number;
  maxFutureSkewMs: number;
}): RebuildPlan {
  const oldestDay = floorDay(q.nowMs - q.retentionMs);
  const fromMs = floorDay(q.fromMs);
  const toMs = ceilDay(q.toMs ?? q.nowMs + q.maxFutureSkewMs);
  if (q.toMs !== undefined && q.toMs <= q.fromMs)
    throw new RebuildRangeError(`--to (${iso(q.toMs)}) must be after --from (${iso(q.fromMs)})`);
  if (fromMs < oldestDay) {
    throw new RebuildRangeError(
      `raw events before ${iso(oldestDay)} are gone (retention ${Math.round(q.retentionMs / DAY)} days), so their rollups are the only history left; rebuild from ${iso(oldestDay)} or later`,
    );
  }
  const days: RebuildPlan['days'] = [];
  for (let d = fromMs; d < toMs; d += DAY) {
    const hours: number[] = [];
    for (let h = d; h < d + DAY; h += HOUR) hours.push(h);
    days.push({ dayMs: d, hours });
  }
  return { days, fromMs, toMs, tenSecondFromMs: q.nowMs - TEN_SECOND_KEEP_MS };
}

function floorDay(ms: number): number {
  return bucketStart(ms, '1d');
}

function ceilDay(ms: number): number {
  return Math.ceil(ms / DAY) * DAY;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
