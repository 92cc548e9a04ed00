// A tenant's settings as GET/PATCH /v1/tenant show them (docs/api.md#tenant), and the zone change
// (docs/api.md#time-zones): the zone is stored with a new zone generation and the 1h/1d rows re-bucketed
// (rebucket.ts) in one transaction under the tenant's exclusive rollup lock.
import { bindSql, type Sql } from './client';
import { lockTenantExclusive } from './rollup-lock';
import { regroupZoned } from './rebucket';
import { tenantZones, UTC_TENANT_ZONE, type TenantZone } from './tenant-zones';
import type { TimeZone } from '../../core/timezone';
import { appendAudit } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';

/** The latest re-bucketing of a tenant's 1h/1d rows (one per zone change, migration 016). */
export interface Rebucketing {
  generation: number;
  fromTimezone: string;
  toTimezone: string;
  startedAt: Date;
  finishedAt: Date;
  rows: number;
}

export interface TenantSettings {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
  timezone: TimeZone;
  zoneGeneration: number;
  /** null: the platform's RETENTION. */
  retentionDays: number | null;
  rebucketing: Rebucketing | null;
}

export async function tenantSettings(sql: Sql, tenantId: string): Promise<TenantSettings | undefined> {
  const [row] = await sql<(Omit<TenantSettings, 'rebucketing' | 'zoneGeneration'> & { zoneGeneration: string })[]>`
    select id, slug, name, created_at as "createdAt", timezone, zone_generation::text as "zoneGeneration",
           retention_days as "retentionDays"
    from tenants where id = ${tenantId}`;
  if (!row) return undefined;
  const [job] = await sql<(Omit<Rebucketing, 'generation' | 'rows'> & { generation: string; rows: string })[]>`
    select generation::text, from_timezone as "fromTimezone", to_timezone as "toTimezone", started_at as "startedAt",
           finished_at as "finishedAt", rows_written::text as rows
    from tenant_rebucketings where tenant_id = ${tenantId} order by generation desc limit 1`;
  return {
    ...row,
    zoneGeneration: Number(row.zoneGeneration),
    rebucketing: job ? { ...job, generation: Number(job.generation), rows: Number(job.rows) } : null,
  };
}

/**
 * Sets the tenant's zone and re-buckets its 1h/1d rows into it, in one transaction under its exclusive rollup
 * lock: live batches wait (they take the lock shared) and then bucket in the new zone; readers see the old zone's
 * rows or the new zone's, never a mix. The zone generation grows, so Redis entries of the old buckets are never read
 * again (docs/architecture.md#time-zones). The same zone again changes nothing (and is not audited). `audit`, given
 * the zone before, is appended in the same transaction. Returns undefined for no such tenant.
 */
export async function changeTimezone(
  sql: Sql,
  tenantId: string,
  zone: TimeZone,
  audit?: (fromZone: string) => AuditEntry,
): Promise<{ settings: TenantSettings; changed: boolean } | undefined> {
  const changed = await sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await lockTenantExclusive(tx, tenantId);
    const [cur] = await tx<{ zone: string; generation: string; started: Date }[]>`
      select timezone as zone, zone_generation::text as generation, clock_timestamp() as started
      from tenants where id = ${tenantId} for update`;
    if (!cur) return undefined;
    if (cur.zone === zone) return false;
    const generation = Number(cur.generation) + 1;
    const { rows } = await regroupZoned(tx, { tenantId, zone, range: 'all' });
    await tx`update tenants set timezone = ${zone}, zone_generation = ${generation} where id = ${tenantId}`;
    await tx`
      insert into tenant_rebucketings (tenant_id, generation, from_timezone, to_timezone, started_at, finished_at, rows_written)
      values (${tenantId}, ${generation}, ${cur.zone}, ${zone}, ${cur.started}, clock_timestamp(), ${rows})`;
    if (audit) await appendAudit(tx, audit(cur.zone));
    return true;
  });
  if (changed === undefined) return undefined;
  return { settings: (await tenantSettings(sql, tenantId))!, changed };
}

/**
 * A tenant's zone (Adapters.tenantZones): the read side and the zone change. zoneOf reads Postgres, or with `maxAgeMs`
 * may answer what this process read (or changed) at most that long ago: for reads whose buckets do not follow the
 * zone (docs/api.md#time-zones), where it is only the answer's label. Of two reads, the later generation is kept.
 */
export function createTenantZoneStore(sql: Sql, now: () => number = Date.now) {
  const recent = new Map<string, { zone: TenantZone; at: number }>();
  const remember = (tenantId: string, zone: TenantZone) => {
    const held = recent.get(tenantId);
    if (held && held.zone.generation > zone.generation) return;
    if (recent.size >= 10_000) recent.clear();
    recent.set(tenantId, { zone, at: now() });
  };
  return {
    ...bindSql(sql, { tenantSettings }),
    async zoneOf(tenantId: string, maxAgeMs = 0): Promise<TenantZone> {
      const held = recent.get(tenantId);
      if (held && maxAgeMs > 0 && now() - held.at <= maxAgeMs) return held.zone;
      const zone = (await tenantZones(sql, [tenantId])).get(tenantId) ?? UTC_TENANT_ZONE;
      remember(tenantId, zone);
      return zone;
    },
    async changeTimezone(tenantId: string, zone: TimeZone, audit?: (fromZone: string) => AuditEntry) {
      const changed = await changeTimezone(sql, tenantId, zone, audit);
      if (changed) remember(tenantId, { zone: changed.settings.timezone, generation: changed.settings.zoneGeneration });
      return changed;
    },
  };
}
export type TenantZoneStore = ReturnType<typeof createTenantZoneStore>;
