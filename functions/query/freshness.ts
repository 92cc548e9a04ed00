// Freshness for the read API: a tenant's data_as_of (GET /v1/metrics, GET /v1/status) and GET /v1/status itself.
import type { Adapters } from '../../adapters';
import type { Principal } from '../../core/api-keys';
import { dataAsOf, lagMs } from '../../core/freshness';
import { INTERVAL_MS } from '../../core/intervals';
import { readableProjects } from './scope';

type Deps = Pick<Adapters, 'config' | 'status' | 'freshness' | 'projects' | 'now'>;

const MINUTE_MS = 60_000;
/** A check older than this many scheduler ticks no longer vouches for lag_ms = 0. */
const STALE_AFTER_TICKS = 3;

/**
 * The time up to which the pipeline has processed this tenant's events: its newest processed receive time, or
 * — when later — the last moment the aggregate group was known caught up on every partition (a quiet tenant is
 * as fresh as the pipeline). Epoch ms, null when nothing is known.
 */
export async function tenantDataAsOf(deps: Deps, tenantId: string): Promise<number | null> {
  const [own, pipeline] = await Promise.all([
    deps.status.processedThrough(tenantId),
    deps.freshness.read().catch(() => null),
  ]);
  return dataAsOf(own, pipeline?.caughtUpThroughMs ?? null);
}

export async function readStatus(deps: Deps, principal: Principal) {
  const nowMs = deps.now();
  const projects = await readableProjects(deps.projects, principal, null);
  const [own, pipeline, eventsLastMinute] = await Promise.all([
    deps.status.processedThrough(principal.tenantId),
    deps.freshness.read().catch(() => null),
    // The six 10s buckets that end with the current one: at most the last 60 s of event time.
    deps.status.countRecentEvents({
      tenantId: principal.tenantId,
      projectIds: projects.map((p) => p.id),
      fromMs: Math.floor(nowMs / INTERVAL_MS['10s']) * INTERVAL_MS['10s'] - MINUTE_MS + INTERVAL_MS['10s'],
      toMs: nowMs,
    }),
  ]);
  const asOf = dataAsOf(own, pipeline?.caughtUpThroughMs ?? null);
  const lag = pipeline
    ? lagMs(nowMs, asOf, pipeline, STALE_AFTER_TICKS * deps.config.schedulerTickMs)
    : asOf === null
      ? null
      : Math.max(0, nowMs - asOf);
  return {
    data_as_of: asOf === null ? null : new Date(asOf).toISOString(),
    lag_ms: lag,
    events_last_minute: eventsLastMinute,
  };
}
