// What integration tests read back from Postgres to check what was stored, where no production read gives it: the
// raw events themselves (the explorer pages them, nothing counts or fetches them by id) and rollup totals over every
// bucket. One place that knows these tables, so that a change to their schema changes this file and not every test.
// Reads the adapters do offer (a rollup bucket, alert states, alert history) are called directly by the tests; tests
// about the tables themselves (migrations, partitions, retention, rebuild, the dead-letter ledger) keep their SQL.
import type { Sql } from '../adapters/postgres/client';
import type { Interval } from '../core/intervals';
import type { RollupMetric } from '../core/rollups';
import type { RollupCache } from '../adapters/redis/rollup-cache';

/** A stored raw event, with the names of the events table's columns. */
export interface StoredEvent {
  event_id: string;
  event_type: string;
  user_id: string | null;
  ts: Date;
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
}

/** One tenant's id or several. */
type TenantIds = string | string[];

/** The tenants' ids as one uuid[] parameter. */
const idsOf = (sql: Sql, tenants: TenantIds) => sql.array(typeof tenants === 'string' ? [tenants] : tenants);

/** `and event_type = …` when one type is asked for. */
const typeIs = (sql: Sql, eventType: string | undefined) =>
  eventType === undefined ? sql`` : sql`and event_type = ${eventType}`;

/** How many events the tenants have stored, of one type or of all; a stored copy would count twice. */
export async function storedEventCount(sql: Sql, tenants: TenantIds, eventType?: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from events
    where tenant_id = any(${idsOf(sql, tenants)}::uuid[]) ${typeIs(sql, eventType)}`;
  return row!.n;
}

/** The ids of the tenant's stored events, of one type or of all: one per stored row, so a copy shows twice. */
export async function storedEventIds(sql: Sql, tenantId: string, eventType?: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select event_id as id from events where tenant_id = ${tenantId} ${typeIs(sql, eventType)}`;
  return rows.map((r) => r.id);
}

/** The tenant's stored events of one type or with the given ids, by event id. */
export async function storedEvents(
  sql: Sql,
  tenantId: string,
  which: { eventType: string } | { eventIds: string[] },
): Promise<StoredEvent[]> {
  const selected =
    'eventType' in which ? typeIs(sql, which.eventType) : sql`and event_id = any(${sql.array(which.eventIds)}::text[])`;
  return sql<StoredEvent[]>`
    select event_id, event_type, user_id, ts, properties, context from events
    where tenant_id = ${tenantId} ${selected}
    order by event_id`;
}

export interface RollupTotalQuery {
  /** One event type, or all. */
  eventType?: string;
  /** Default count. */
  metric?: RollupMetric;
  /** Default 1d: every event falls in exactly one bucket of each interval, so the count total is the events counted. */
  interval?: Interval;
}

/** The sum of a rollup metric over every stored bucket of one interval, over the tenants' projects. */
export async function rollupTotal(sql: Sql, tenants: TenantIds, q: RollupTotalQuery = {}): Promise<number> {
  return [...(await rollupTotalsByType(sql, tenants, q)).values()].reduce((a, b) => a + b, 0);
}

/** rollupTotal per event type. */
export async function rollupTotalsByType(
  sql: Sql,
  tenants: TenantIds,
  q: RollupTotalQuery = {},
): Promise<Map<string, number>> {
  const rows = await sql<{ eventType: string; n: string }[]>`
    select event_type as "eventType", sum(value)::text as n from rollups
    where tenant_id = any(${idsOf(sql, tenants)}::uuid[]) and metric = ${q.metric ?? 'count'}
      and interval = ${q.interval ?? '1d'} ${typeIs(sql, q.eventType)}
    group by event_type`;
  return new Map(rows.map((r) => [r.eventType, Number(r.n)]));
}

/**
 * The ids of the tenant's stored events with ts in [fromMs, toMs), split at a stored_at cutoff (an export's
 * X-Export-Cutoff): those stored by it and those stored after; one per stored row, so a copy shows twice.
 */
export async function storedIdsAtCutoff(
  sql: Sql,
  tenantId: string,
  fromMs: number,
  toMs: number,
  cutoff: string,
): Promise<{ by: string[]; after: string[] }> {
  const rows = await sql<{ id: string; by: boolean }[]>`
    select event_id as id, stored_at <= ${cutoff}::timestamptz as by from events
    where tenant_id = ${tenantId} and ts >= ${new Date(fromMs)} and ts < ${new Date(toMs)}`;
  return { by: rows.filter((r) => r.by).map((r) => r.id), after: rows.filter((r) => !r.by).map((r) => r.id) };
}

/**
 * The rollups and unique-user estimates of a tenant whose Redis copy differs from Postgres (value or version): the
 * cache refresh went through the version guard when this is empty. `missing: 'differs'` also counts a bucket Redis
 * does not hold; `'ignored'` checks only what Redis holds.
 */
export async function cacheDiffersFromStore(
  adapters: { sql: Sql; rollupCache: Pick<RollupCache, 'read'> },
  tenantId: string,
  missing: 'differs' | 'ignored',
): Promise<{ projectId: string; eventType: string; metric: RollupMetric; interval: Interval; value: string }[]> {
  const stored = await adapters.sql<
    {
      projectId: string;
      eventType: string;
      metric: RollupMetric;
      interval: Interval;
      bucketStart: Date;
      value: string;
      version: string;
    }[]
  >`
    select project_id as "projectId", event_type as "eventType", metric, interval, bucket_start as "bucketStart", value::text, version::text
    from rollups where tenant_id = ${tenantId}
    union all
    select project_id, event_type, 'unique_users', interval, bucket_start, round(hll_cardinality(sketch))::bigint::text, version::text
    from rollup_sketches where tenant_id = ${tenantId}`;
  const keys = stored.map((r) => ({
    tenantId,
    projectId: r.projectId,
    eventType: r.eventType,
    metric: r.metric,
    interval: r.interval,
    bucketMs: r.bucketStart.getTime(),
  }));
  const cached = await adapters.rollupCache.read(keys);
  return stored.filter((r, i) => {
    const c = cached[i];
    if (!c) return missing === 'differs';
    return c.text !== r.value || String(c.version) !== r.version;
  });
}
