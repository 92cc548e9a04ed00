// Each tenant's raw-event retention (tenants.retention_days, capped by the platform's RETENTION), cached briefly:
// ingest refuses and the aggregate step drops events older than it.
import type { Sql } from './postgres/client';
import { effectiveRetentionMs } from '../core/tenants';

export interface TenantRetention {
  /** Retention in ms of one tenant. */
  of(tenantId: string): Promise<number>;
  /** Retention in ms of several tenants at once (one query for those not cached). */
  ofMany(tenantIds: string[]): Promise<Map<string, number>>;
}

export function createTenantRetention(
  sql: Sql,
  platformMs: number,
  ttlMs = 30_000,
  now: () => number = Date.now,
): TenantRetention {
  const cache = new Map<string, { ms: number; expires: number }>();
  async function ofMany(tenantIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const t of new Set(tenantIds)) {
      const hit = cache.get(t);
      if (hit && hit.expires > now()) out.set(t, hit.ms);
      else missing.push(t);
    }
    if (missing.length > 0) {
      const rows = await sql<
        { id: string; days: number | null }[]
      >`select id, retention_days as days from tenants where id = any(${sql.array(missing)}::uuid[])`;
      const days = new Map(rows.map((r) => [r.id, r.days]));
      if (cache.size > 100_000) cache.clear();
      for (const t of missing) {
        const ms = effectiveRetentionMs(days.get(t) ?? null, platformMs);
        cache.set(t, { ms, expires: now() + ttlMs });
        out.set(t, ms);
      }
    }
    return out;
  }
  return {
    ofMany,
    async of(tenantId) {
      return (await ofMany([tenantId])).get(tenantId)!;
    },
  };
}
