// The time zone each tenant's 1h/1d buckets follow (docs/api.md#time-zones), read by writers under the tenants'
// rollup locks so that a zone change (which re-buckets under the exclusive lock) and a batch never interleave.
import type { Sql } from './client';
import { utcBucketOf, type BucketOf } from '../../core/rollups';

/** The buckets of the given tenants' events. Every tenant is in UTC until tenant time zones are stored. */
export async function tenantBuckets(_tx: Sql, _tenantIds: string[]): Promise<BucketOf> {
  return utcBucketOf;
}
