// What GET /v1/status and data_as_of read of a tenant: its processed-through time (Redis first, Postgres on a miss)
// and its events of the last minute (docs/architecture.md#freshness).
import type { Sql } from './postgres/client';
import { readProgress } from './postgres/aggregate-store';
import { countRecentEvents } from './postgres/status-store';
import type { RollupCache } from './redis/rollup-cache';

export interface StatusReader {
  /** The newest receive time processed for the tenant (epoch ms), null when nothing is known. */
  processedThrough(tenantId: string): Promise<number | null>;
  /** Events counted in the 10s buckets starting in [fromMs, toMs], over every event type of the given projects. */
  countRecentEvents(q: { tenantId: string; projectIds: string[]; fromMs: number; toMs: number }): Promise<number>;
}

export function createStatusReader(sql: Sql, cache: RollupCache): StatusReader {
  return {
    async processedThrough(tenantId) {
      const cached = await cache.readProgress(tenantId).catch(() => null);
      return cached ?? (await readProgress(sql, tenantId))?.getTime() ?? null;
    },
    countRecentEvents: (q) => countRecentEvents(sql, q),
  };
}
