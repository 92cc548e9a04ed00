// The erasure job runner (docs/architecture.md#erasure): the erasure step (which also decrements the counts and sums),
// then the recomputation of the sketches of the cells the erased events touched, a chunk of hours at a time
// (erasure-store.ts), then
// each erased day's 1d buckets through rebuild's day chunk (rebuild-store.ts); every chunk's values refreshed in Redis
// through the version guard as `customersignal rebuild` does. Every step is idempotent and recorded as it completes, so a runner that dies
// mid-job leaves the rest to the next maintenance run.
import type { Adapters } from '../../adapters';
import { ERASURE_ACTOR } from '../../core/audit-log';
import { HOURS_PER_CHUNK, hourIntervals, type ErasureJob, type ErasureRef } from '../../core/erasure';
import { logger } from '../../adapters/logger';

export type ErasureDeps = Pick<Adapters, 'erasures' | 'rebuildStore' | 'rollupCache' | 'now'>;

/**
 * Runs one job to its end, unless another runner holds it (then returns null). Throws when a step fails; the
 * job keeps what was done.
 */
export async function runErasureJob(deps: ErasureDeps, ref: ErasureRef): Promise<ErasureJob | null> {
  return deps.erasures.withRunLock(ref, async () => {
    let job = await deps.erasures.get(ref);
    if (!job || job.status === 'done' || job.status === 'failed') return job;
    if (job.status === 'pending') job = await deps.erasures.erase(ref, deps.now());
    for (let i = 0; i < job.hours.length; i += HOURS_PER_CHUNK) {
      const hoursMs = job.hours.slice(i, i + HOURS_PER_CHUNK);
      const tenSecondHoursMs = hoursMs.filter((h) => hourIntervals(h, deps.now()).includes('10s'));
      await deps.rollupCache.write(await deps.erasures.recomputeHours(ref, { hoursMs, tenSecondHoursMs }));
      await deps.erasures.hoursDone(ref, hoursMs);
    }
    // A day after all of its hours (the 1d buckets are regrouped from them).
    for (const dayMs of job.days) {
      const d = await deps.rebuildStore.rebuildDay({ tenantId: ref.tenantId, dayMs });
      await deps.rollupCache.write(d.values);
      await deps.erasures.dayDone(ref, dayMs);
    }
    // A dimension value only the person had is no longer kept in any bucket: its text goes too.
    await deps.erasures.purgeUnkeptValues(ref.tenantId);
    const nowMs = deps.now();
    await deps.erasures.finish(ref, nowMs, {
      tenantId: ref.tenantId,
      atMs: nowMs,
      actor: ERASURE_ACTOR,
      action: 'person.erased',
      target: job.person,
      before: { events: job.eventsErased, hours: job.hours.length },
      after: { job_id: job.id, status: 'done' },
    });
    return deps.erasures.get(ref);
  });
}

/** The jobs a maintenance run takes on (oldest first), each to its end or its first failure. */
const JOBS_PER_RUN = 20;

/** Runs the open jobs (maintenance); a failing job is recorded and the next one runs. */
export async function runOpenErasures(deps: ErasureDeps): Promise<{ done: number; failed: number }> {
  let done = 0;
  let failed = 0;
  for (const ref of await deps.erasures.open(JOBS_PER_RUN)) {
    try {
      const job = await runErasureJob(deps, ref);
      if (job?.status === 'done') done += 1;
    } catch (error) {
      failed += 1;
      await recordFailure(deps, ref, error);
    }
  }
  return { done, failed };
}

/** Starts a job now, beside the request that created it (the local runtime); the maintenance run is the fallback. */
export function startErasure(deps: ErasureDeps, ref: ErasureRef): void {
  void runErasureJob(deps, ref).catch((error: unknown) => recordFailure(deps, ref, error));
}

async function recordFailure(deps: ErasureDeps, ref: ErasureRef, error: unknown): Promise<void> {
  logger.warn('erasure attempt failed', { job_id: ref.id, tenant_id: ref.tenantId, error: error as Error });
  // The stored message names the failure's kind only: a database error's text may quote values.
  const code = (error as { code?: unknown } | null)?.code;
  const message = `attempt failed${typeof code === 'string' ? ` (${code})` : ''}; the next maintenance run retries it`;
  await deps.erasures.attemptFailed(ref, message, deps.now()).catch(() => undefined);
}
