// Pipeline freshness, pure: per-partition consumer lag and a sound "caught up through T" for a consumer group.
//
// "Caught up through T" must mean: every event acknowledged to a client before T has been processed. An event
// acknowledged (acks=all) before T sits below the high watermark read at T. So a check reads the clock (T), then
// the high watermarks (W_T), then the group's committed offsets; once committed offsets reach W_T — in this check
// or a later one — T is published. Offsets are committed only after the effect (docs/architecture.md#rule-3-offsets-move-only-after-the-effect), so "committed ≥ W_T"
// means everything below W_T is in Postgres.

/** Offsets by partition: high watermarks (next offset to be written) or committed offsets (next to be read, -1 = none). */
export type PartitionOffsets = Record<number, number>;

export interface PartitionLag {
  partition: number;
  high: number;
  committed: number;
  lag: number;
}

/** A check's reading: clock first, then watermarks, then committed offsets. */
export interface GroupReading {
  atMs: number;
  low: PartitionOffsets;
  high: PartitionOffsets;
  committed: PartitionOffsets;
}

/** What a check remembers between runs: a watermark snapshot not yet reached by the group. */
export interface PendingSnapshot {
  atMs: number;
  high: PartitionOffsets;
}

export interface FreshnessState {
  /** The newest T for which the group was known caught up (never moves back). */
  caughtUpThroughMs: number | null;
  /** The time of the newest check. */
  checkedAtMs: number | null;
  /** True when the newest check found the group at the watermarks it read. */
  caughtUpAtCheck: boolean;
  pending: PendingSnapshot | null;
}

export const INITIAL_FRESHNESS: FreshnessState = {
  caughtUpThroughMs: null,
  checkedAtMs: null,
  caughtUpAtCheck: false,
  pending: null,
};

/**
 * A partition's position as the group will resume it: no commit yet means it starts at the low watermark
 * (the group reads from the beginning), so only records from there on are still to be processed.
 */
function position(committed: PartitionOffsets, low: PartitionOffsets, partition: number): number {
  const c = committed[partition];
  const l = low[partition] ?? 0;
  return c === undefined || c < 0 ? l : Math.max(c, l);
}

export function partitionLags(r: Pick<GroupReading, 'low' | 'high' | 'committed'>): PartitionLag[] {
  return Object.keys(r.high)
    .map(Number)
    .sort((a, b) => a - b)
    .map((partition) => {
      const high = r.high[partition]!;
      const committed = position(r.committed, r.low, partition);
      return { partition, high, committed, lag: Math.max(0, high - committed) };
    });
}

/** True when, on every partition of the snapshot, the group's position has reached the snapshot's watermark. */
export function reached(snapshot: PartitionOffsets, r: Pick<GroupReading, 'low' | 'committed'>): boolean {
  return Object.entries(snapshot).every(([p, high]) => position(r.committed, r.low, Number(p)) >= high);
}

/** Folds one check into the state: publishes T when the group reached the watermarks read at T. */
export function advanceFreshness(state: FreshnessState, r: GroupReading): FreshnessState {
  const caughtUpNow = reached(r.high, r);
  let through = state.caughtUpThroughMs;
  const publish = (t: number) => (through = through === null ? t : Math.max(through, t));
  if (caughtUpNow) publish(r.atMs);
  else if (state.pending && reached(state.pending.high, r)) publish(state.pending.atMs);
  // Keep an unreached older snapshot: replacing it every check could starve a group that is never fully idle.
  const pending = caughtUpNow
    ? null
    : state.pending && !reached(state.pending.high, r)
      ? state.pending
      : { atMs: r.atMs, high: r.high };
  return { caughtUpThroughMs: through, checkedAtMs: r.atMs, caughtUpAtCheck: caughtUpNow, pending };
}

/** data_as_of of a tenant: its newest processed receive time, or the moment the whole pipeline was caught up. */
export function dataAsOf(processedThroughMs: number | null, caughtUpThroughMs: number | null): number | null {
  if (processedThroughMs === null) return caughtUpThroughMs;
  if (caughtUpThroughMs === null) return processedThroughMs;
  return Math.max(processedThroughMs, caughtUpThroughMs);
}

/**
 * lag_ms: 0 while the newest check (no older than `staleAfterMs`) found the group caught up; otherwise how far
 * data_as_of is behind now. null when nothing is known yet.
 */
export function lagMs(
  nowMs: number,
  asOfMs: number | null,
  state: Pick<FreshnessState, 'checkedAtMs' | 'caughtUpAtCheck'>,
  staleAfterMs: number,
): number | null {
  if (state.caughtUpAtCheck && state.checkedAtMs !== null && nowMs - state.checkedAtMs <= staleAfterMs) return 0;
  return asOfMs === null ? null : Math.max(0, nowMs - asOfMs);
}
