// The time zone each tenant's 1h/1d buckets follow (docs/api.md#time-zones), read by writers under the tenants'
// rollup locks so that a zone change (which re-buckets under the exclusive lock) and a batch never interleave.
import type { Sql } from './client';
import { utcBucketOf, type BucketOf } from '../../core/rollups';
import { bucketStartIn, isZoned, UTC_ZONE, type TimeZone } from '../../core/timezone';
import { bucketStart } from '../../core/intervals';

/** A tenant's zone and its zone generation (part of the Redis keys of its 1h/1d values, rollup-cache.ts). */
export interface TenantZone {
  zone: TimeZone;
  generation: number;
}

export const UTC_TENANT_ZONE: TenantZone = { zone: UTC_ZONE, generation: 0 };

/** The zones of the given tenants (a tenant not found is in UTC, generation 0). */
export async function tenantZones(sql: Sql, tenantIds: string[]): Promise<Map<string, TenantZone>> {
  const ids = [...new Set(tenantIds)];
  const out = new Map<string, TenantZone>();
  if (ids.length === 0) return out;
  const rows = await sql<{ id: string; zone: string; generation: string }[]>`
    select id, timezone as zone, zone_generation::text as generation from tenants where id = any(${sql.array(ids)}::uuid[])`;
  // Stored names are parseTimeZone's output (only the zone change writes them).
  for (const r of rows) out.set(r.id, { zone: r.zone as TimeZone, generation: Number(r.generation) });
  for (const id of ids) if (!out.has(id)) out.set(id, UTC_TENANT_ZONE);
  return out;
}

/** The buckets of events of tenants in the given zones: 1h/1d in each tenant's zone, the rest epoch-aligned. */
export function bucketOfZones(zones: ReadonlyMap<string, TenantZone>): BucketOf {
  if ([...zones.values()].every((z) => z.zone === UTC_ZONE)) return utcBucketOf;
  return (tenantId, timestampMs, interval) => {
    if (!isZoned(interval)) return bucketStart(timestampMs, interval);
    return bucketStartIn(timestampMs, interval, zones.get(tenantId)?.zone ?? UTC_ZONE);
  };
}

/** The buckets of the given tenants' events, and their zones; call it holding their rollup locks. */
export async function tenantBucketing(
  tx: Sql,
  tenantIds: string[],
): Promise<{ bucketOf: BucketOf; zones: Map<string, TenantZone> }> {
  const zones = await tenantZones(tx, tenantIds);
  return { bucketOf: bucketOfZones(zones), zones };
}

/** The buckets of the given tenants' events (their zones as stored); call it holding their rollup locks. */
export async function tenantBuckets(tx: Sql, tenantIds: string[]): Promise<BucketOf> {
  return (await tenantBucketing(tx, tenantIds)).bucketOf;
}
