// Rebuild (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools): the derived data of a range recomputed from the raw table, swapped in hour by hour
// and day by day per tenant, then refreshed in Redis through the version guard. Safe while the live consumer runs:
// every chunk holds its tenant's rollup lock exclusive (the aggregate step takes it shared).
import type { Adapters } from '../../adapters';
import { planRebuild } from '../../core/rebuild-plan';
import { ROLLUP_INTERVALS } from '../../core/rollups';
import { bucketStart, INTERVAL_MS, type Interval } from '../../core/intervals';

export type RebuildDeps = Pick<Adapters, 'config' | 'rebuildStore' | 'rollupCache' | 'retention' | 'now'>;

export interface RebuildSummary {
  from: string;
  to: string;
  tenants: number;
  /** (tenant, day) pairs rebuilt. */
  days: number;
  events: number;
  /** Rollup rows and sketches swapped in (zeroed ones included). */
  rows: number;
}

const HOUR_INTERVALS = ROLLUP_INTERVALS.filter((i) => i !== '1d');

/** Hours rebuilt at once, each on its own database connection (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools). */
export const REBUILD_WORKERS = 2;

/**
 * Rebuilds [fromMs, toMs) widened to whole UTC days (see planRebuild; throws RebuildRangeError for a range
 * reaching past raw retention). `onStart` gets the number of raw events in scope, `onProgress` each chunk's.
 */
export async function rebuildRange(
  deps: RebuildDeps,
  q: { fromMs: number; toMs?: number; tenantId?: string },
  hooks: { onStart?: (events: number) => void; onProgress?: (events: number) => void } = {},
): Promise<RebuildSummary> {
  const plan = planRebuild({
    fromMs: q.fromMs,
    toMs: q.toMs,
    nowMs: deps.now(),
    retentionMs: deps.config.limits.retentionMs,
    maxFutureSkewMs: deps.config.limits.maxFutureSkewMs,
  });
  const scope = await deps.rebuildStore.rebuildScope({ fromMs: plan.fromMs, toMs: plan.toMs, tenantId: q.tenantId });
  // A tenant with a shorter retention has no raw events before its own cutoff's day: its older rollups stay.
  const retention = await deps.retention.ofMany(scope.map((s) => s.tenantId));
  // tenant -> day -> raw events per hour
  const work = new Map<string, Map<number, Map<number, number>>>();
  let inScope = 0;
  for (const s of scope) {
    const dayMs = bucketStart(s.hourMs, '1d');
    if (dayMs < bucketStart(deps.now() - retention.get(s.tenantId)!, '1d')) continue;
    const days = work.get(s.tenantId) ?? new Map<number, Map<number, number>>();
    const hours = days.get(dayMs) ?? new Map<number, number>();
    hours.set(s.hourMs, (hours.get(s.hourMs) ?? 0) + s.events);
    days.set(dayMs, hours);
    work.set(s.tenantId, days);
    inScope += s.events;
  }
  // Dimensions declared before the first chunk: only theirs are complete after the rebuild (below).
  const declared = new Map<string, string[]>();
  for (const tenantId of work.keys()) declared.set(tenantId, await deps.rebuildStore.declaredDimensionIds(tenantId));
  hooks.onStart?.(inScope);
  const summary: RebuildSummary = {
    from: new Date(plan.fromMs).toISOString(),
    to: new Date(plan.toMs).toISOString(),
    tenants: work.size,
    days: 0,
    events: 0,
    rows: 0,
  };
  for (const day of plan.days) {
    for (const [tenantId, days] of [...work].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const hours = days.get(day.dayMs);
      if (!hours) continue;
      // REBUILD_WORKERS hours at a time: each is prepared without the lock (rebuildStore.rebuildHour), so on a
      // database with several cores the preparations, most of the time, run side by side; swaps take turns.
      const queue = [...day.hours];
      let failed = false;
      const worker = async () => {
        for (let hourMs = queue.shift(); hourMs !== undefined; hourMs = queue.shift()) {
          if (failed) return;
          const intervals: Interval[] = HOUR_INTERVALS.filter(
            (i) => i !== '10s' || hourMs! + INTERVAL_MS['1h'] > plan.tenSecondFromMs,
          );
          const r = await deps.rebuildStore.rebuildHour({
            tenantId,
            fromMs: hourMs,
            toMs: hourMs + INTERVAL_MS['1h'],
            intervals,
          });
          await deps.rollupCache.write(r.values);
          summary.events += r.events;
          summary.rows += r.values.length;
          hooks.onProgress?.(hours.get(hourMs) ?? 0);
        }
      };
      // The first failure stops the others taking hours; it is thrown once every running hour has ended.
      const ends = await Promise.allSettled(
        Array.from({ length: REBUILD_WORKERS }, () =>
          worker().catch((e: unknown) => ((failed = true), Promise.reject(e))),
        ),
      );
      const failure = ends.find((e) => e.status === 'rejected');
      if (failure) throw failure.reason;
      const d = await deps.rebuildStore.rebuildDay({ tenantId, dayMs: day.dayMs });
      await deps.rollupCache.write(d.values);
      summary.rows += d.values.length;
      summary.days += 1;
    }
  }
  // Declared dimensions: each rebuilt tenant's dimension rollups now hold every event from its first rebuilt day
  // (docs/api.md#breakdowns), so breakdowns over those buckets read them; not those of a dimension declared during
  // the run, which the hours rebuilt before its declaration do not have.
  for (const tenantId of [...work.keys()].sort()) {
    const fromMs = Math.max(plan.fromMs, bucketStart(deps.now() - retention.get(tenantId)!, '1d'));
    const { maxFutureSkewMs } = deps.config.limits;
    await deps.rebuildStore.extendDimensionCoverage({
      tenantId,
      fromMs,
      toMs: plan.toMs,
      maxFutureSkewMs,
      dimensionIds: declared.get(tenantId)!,
    });
    // People are all-time state: every raw event of the tenant, replayed in time order (docs/architecture.md#people-and-identity).
    await deps.rebuildStore.rebuildPeople({ tenantId });
  }
  return summary;
}
