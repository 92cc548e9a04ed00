// Per-tenant advisory locks between the live aggregate step and `customersignal rebuild` (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools):
// aggregate transactions take their tenants' locks shared, so they never wait on each other; a rebuild chunk takes
// its tenant's lock exclusive for its swap, so no live write lands between the check that the hour is unchanged since
// its preparation (or its computation under the lock) and the swap (rebuild-store.ts rebuildHour).
import type { Sql } from './client';

/** Shared locks on the tenants' rollups until the transaction ends, taken in sorted order. */
export async function lockTenantsShared(tx: Sql, tenantIds: string[]): Promise<void> {
  const sorted = [...new Set(tenantIds)].sort();
  if (sorted.length === 0) return;
  // The sorted subquery is evaluated first, so the locks are taken in tenant order.
  await tx`
    select pg_advisory_xact_lock_shared(hashtextextended('customersignal.rollups:' || s.t::text, 0))
    from (select t from unnest(${tx.array(sorted)}::uuid[]) as t order by t) as s`;
}

/** The exclusive lock on one tenant's rollups until the transaction ends. */
export async function lockTenantExclusive(tx: Sql, tenantId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended('customersignal.rollups:' || ${tenantId}::uuid::text, 0))`;
}
