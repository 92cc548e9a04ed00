// `customersignal rebuild` in Postgres (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools): the derived data of a tenant's hour (10s, 1m, 5m, 1h
// buckets) recomputed from the raw table, then of its day (1d, from the fresh hours), each swapped in by one
// transaction under the tenant's exclusive rollup lock. Every replaced row gets a higher version (rollup_next_version,
// migration 006; a bucket that lost all its events is kept at zero rather than deleted) so the version-guarded Redis
// refresh wins over whatever Redis cached.
import { bindSql, type Sql } from './client';
import { HLL_PARAMS, toValue, type RollupRow } from './aggregate-store';
import { lockTenantExclusive } from './rollup-lock';
import {
  declarationsDigest,
  declaredDimensionIds,
  extendDimensionCoverage,
  prepareDimensionsFromRaw,
  rebuildDimensions,
} from './dimension-store';
import { INTERVAL_MS, type Interval } from '../../core/intervals';
import { withZoneGenerations, type RollupValue } from '../../core/rollups';
import { UTC_ZONE } from '../../core/timezone';
import { regroupZoned } from './rebucket';
import { insertCollapsedQuantiles, insertQuantileBins } from './quantile-sql';
import { rebuildPeople } from './people-store';
import { tenantZones, type TenantZone } from './tenant-zones';
import { isConnectionFailure } from '../../core/failure-kind';
import { versionsDigest, versionsDigestColumns } from './rollup-versions';

export interface RebuildChunkResult {
  /** Raw events read. */
  events: number;
  /** The swapped-in rows (counts, sums, unique-user estimates) with their new versions, for the Redis refresh. */
  values: RollupValue[];
}

const strides = (intervals: readonly Interval[]) => intervals.map((i) => ({ i, ms: INTERVAL_MS[i] }));

/**
 * Rebuilds `intervals` (each no larger than 1h and dividing it) of one tenant for raw events in [fromMs, toMs),
 * an hour-aligned range. One scan of the raw rows builds 10s-level counts, sketches and property sums; the
 * intervals are grouped from those.
 *
 * In two transactions on one reserved connection, so that several hours can be prepared at once (rebuildRange runs
 * REBUILD_WORKERS of them; the preparation is most of the time): first, in one repeatable-read snapshot and without
 * the lock, the new rows are computed into the session's scratch tables, with a digest of the versions of the hour's
 * `count` rollups; then, under the tenant's exclusive lock, they are swapped in if that digest and the tenant's zone
 * are unchanged. Sound because no raw event of the hour is written without its `count` rollups getting higher
 * versions in the same transaction (a live batch, another rebuild), nor erased without erased ids of the hour
 * (hourVersions), so an unchanged digest means the snapshot's raw rows are the hour's raw rows now (a retention
 * delete may still drop them: the same as a rebuild just before it); when anything changed, the hour is computed
 * again under the lock.
 */
export async function rebuildHour(
  sql: Sql,
  q: { tenantId: string; fromMs: number; toMs: number; intervals: readonly Interval[] },
  hooks: { prepared?: (session: { pid: number }) => Promise<void> } = {},
): Promise<RebuildChunkResult> {
  if (q.intervals.length === 0) return { events: 0, values: [] };
  try {
    return await rebuildHourOn(sql, q, hooks);
  } catch (e) {
    // The connection was lost (its session, and the scratch tables with it, is gone). Nothing was swapped in unless
    // the second transaction had committed, and doing the hour again is harmless either way (the same rows, higher
    // versions): once more, on another connection.
    if (!sessionLost(e)) throw e;
    return rebuildHourOn(sql, q, {});
  }
}

/**
 * The error ended the session: the connection failed, or the server terminated the backend. No further query is
 * sent on it (nothing of the session is left to roll back or drop; unpatched, postgres.js 3.4.9 never settled such a
 * query: docs/development.md#patched-dependencies).
 */
const sessionLost = (e: unknown) => isConnectionFailure(e) || (e as { code?: unknown }).code === '57P01';

async function rebuildHourOn(
  sql: Sql,
  q: { tenantId: string; fromMs: number; toMs: number; intervals: readonly Interval[] },
  hooks: { prepared?: (session: { pid: number }) => Promise<void> },
): Promise<RebuildChunkResult> {
  const span = { tenantId: q.tenantId, from: new Date(q.fromMs), to: new Date(q.toMs) };
  const conn = await sql.reserve();
  let lost = false;
  try {
    const prepared = await inTransaction(conn, 'begin isolation level repeatable read', async (tx) => {
      const zone = (await tenantZones(tx, [q.tenantId])).get(q.tenantId)!;
      const intervals = hourIntervals(zone, q.intervals);
      await createScratch(tx, 'preserve rows');
      const events = intervals.length === 0 ? 0 : await computeHour(tx, span, intervals);
      const declared = await declarationsDigest(tx, q.tenantId);
      if (declared !== '') await prepareDimensionsFromRaw(tx, { ...span, intervals });
      return { zone, intervals, events, declared, versions: await hourVersions(tx, span) };
    });
    // Tests: what lands between the two transactions (the session's backend, to end it).
    if (hooks.prepared) {
      const [me] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
      await hooks.prepared({ pid: me!.pid });
    }
    return await inTransaction(conn, 'begin', async (tx) => {
      await lockTenantExclusive(tx, q.tenantId);
      const zone = (await tenantZones(tx, [q.tenantId])).get(q.tenantId)!;
      let { intervals, events } = prepared;
      const same =
        zone.zone === prepared.zone.zone &&
        zone.generation === prepared.zone.generation &&
        (await hourVersions(tx, span)) === prepared.versions &&
        (await declarationsDigest(tx, q.tenantId)) === prepared.declared;
      if (!same) {
        intervals = hourIntervals(zone, q.intervals);
        await tx`truncate ${tx(SCRATCH_TABLES)}`;
        events = intervals.length === 0 ? 0 : await computeHour(tx, span, intervals);
      }
      let values: RollupValue[] = [];
      if (intervals.length > 0) {
        values = withZoneGenerations(
          await swapIn(tx, q.tenantId, intervals, span.from, span.to),
          new Map([[q.tenantId, zone]]),
        );
        await rebuildDimensions(tx, { ...span, intervals }, { prepared: same });
      }
      return { events, values };
    });
  } catch (e) {
    lost = sessionLost(e);
    throw e;
  } finally {
    if (!lost) await conn`drop table if exists ${conn(SCRATCH_TABLES)}`.catch(() => undefined);
    conn.release();
  }
}

/** A zoned tenant's local hours are not UTC hours (+05:30): its 1h buckets are regrouped from the rebuilt 5m rows with its days (rebuildDay, docs/architecture.md#time-zones). */
const hourIntervals = (zone: TenantZone, intervals: readonly Interval[]) =>
  zone.zone === UTC_ZONE ? intervals : intervals.filter((i) => i !== '1h');

/**
 * The digest of the versions of the hour's `count` rollups (10s, 1m, 5m and 1h buckets; rollup-versions.ts), and
 * the number of the hour's erased event ids: an erasure decrements only the count rows it finds, so on an hour whose
 * rows are missing (what a rebuild repairs) its deletions would change no version, but they always add erased ids
 * (erasure-store.ts eraseStep, same transaction).
 */
async function hourVersions(tx: Sql, q: { tenantId: string; from: Date; to: Date }): Promise<string> {
  const [d] = await tx<{ n: string; v: string | null; erased: string }[]>`
    select ${versionsDigestColumns(tx, tx`project_id::text || ' ' || event_type || ' ' || interval`)},
           (select count(*) from erased_event_ids
            where tenant_id = ${q.tenantId} and event_ts >= ${q.from} and event_ts < ${q.to})::text as erased
    from rollups
    where tenant_id = ${q.tenantId} and metric = 'count' and interval in ('10s', '1m', '5m', '1h')
      and bucket_start >= ${q.from} and bucket_start < ${q.to}`;
  return `${versionsDigest(d!)}:${d!.erased}`;
}

/** The hour's new rows into the scratch tables (rb_new, rb_new_sketches, rb_new_q); returns the raw events read. */
async function computeHour(
  tx: Sql,
  q: { tenantId: string; from: Date; to: Date },
  intervals: readonly Interval[],
): Promise<number> {
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const { from, to } = q;
  await planFor(tx);
  await tx`
    insert into rb_fine (p, y, b, c, cu, sk)
    select project_id, event_type, date_bin('10 seconds', ts, timestamptz 'epoch'), count(*), count(user_id),
           hll_add_agg(hll_hash_text(user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon}) filter (where user_id is not null)
    from events where tenant_id = ${q.tenantId} and ts >= ${from} and ts < ${to}
    group by 1, 2, 3`;
  // Every top-level numeric property's (the rule of core/rollups.ts preAggregatedProperties) percentile bins
  // (quantile_bin of the value as float8, as migration 014 describes) per 10s bucket, with the exact extremes and
  // the bin's exact sum; the properties' sums and counts (rb_fine_sums) are then the bins' totals, without a second
  // scan of the raw rows. jsonb_object_keys in the select list returns one key per call, where a lateral jsonb_each
  // builds a tuplestore per row (~40 % of this statement). The planner cannot estimate how many rows pass the filter
  // and would sort them all for a GroupAggregate; the groups (10s × type × property × bin) fit in memory, so it hashes.
  await tx`set local enable_sort = off`;
  await insertQuantileBins(
    tx,
    'rb_fine_q',
    tx`events e where e.tenant_id = ${q.tenantId} and e.ts >= ${from} and e.ts < ${to}`,
    { sums: true },
  );
  await tx`
    insert into rb_fine_sums (p, y, b, k, s, n)
    select p, y, b, k, sum(s), sum(c) from rb_fine_q group by 1, 2, 3, 4`;
  await tx`set local enable_sort to default`;
  const ivs = tx.json(strides(intervals));
  await insertCollapsedQuantiles(tx, 'rb_new_q', 'rb_fine_q', intervals);
  await tx`
    with iv as (select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${ivs}) as iv(i text, ms bigint))
    insert into rb_new (p, y, m, i, b, v)
    select f.p, f.y, 'count', iv.i, date_bin(iv.stride, f.b, timestamptz 'epoch'), sum(f.c) from rb_fine f cross join iv group by 1, 2, 3, 4, 5
    union all
    select f.p, f.y, 'sum:' || f.k, iv.i, date_bin(iv.stride, f.b, timestamptz 'epoch'), sum(f.s) from rb_fine_sums f cross join iv group by 1, 2, 3, 4, 5
    union all
    select f.p, f.y, 'n:' || f.k, iv.i, date_bin(iv.stride, f.b, timestamptz 'epoch'), sum(f.n) from rb_fine_sums f cross join iv group by 1, 2, 3, 4, 5`;
  await tx`
    with iv as (select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${ivs}) as iv(i text, ms bigint))
    insert into rb_new_sketches (p, y, i, b, sk)
    select f.p, f.y, iv.i, date_bin(iv.stride, f.b, timestamptz 'epoch'), hll_union_agg(f.sk)
    from rb_fine f cross join iv where f.cu > 0 group by 1, 2, 3, 4`;
  const [row] = await tx<{ n: string }[]>`select coalesce(sum(c), 0)::text as n from rb_fine`;
  return Number(row?.n ?? 0);
}

/**
 * Rebuilds one tenant's 1d buckets of the UTC day [dayMs, dayMs + 1d) from its current 1h rows and sketches. For a
 * tenant in another zone, the 1h and 1d buckets of the local days overlapping that UTC day are regrouped from the
 * 5m rows instead (rebucket.ts; the local days reaching into the next UTC day are regrouped again with it).
 */
export async function rebuildDay(sql: Sql, q: { tenantId: string; dayMs: number }): Promise<RebuildChunkResult> {
  const from = new Date(q.dayMs);
  const to = new Date(q.dayMs + INTERVAL_MS['1d']);
  return inChunk(sql, q.tenantId, async (tx, zone) => {
    const stamped = (values: RollupValue[]) => withZoneGenerations(values, new Map([[q.tenantId, zone]]));
    if (zone.zone !== UTC_ZONE) {
      const r = await regroupZoned(tx, {
        tenantId: q.tenantId,
        zone: zone.zone,
        range: { fromMs: q.dayMs, toMs: q.dayMs + INTERVAL_MS['1d'] },
      });
      return { events: 0, values: stamped(r.values) };
    }
    await tx`
      insert into rb_new (p, y, m, i, b, v)
      select project_id, event_type, metric, '1d', ${from}::timestamptz, sum(value)
      from rollups where tenant_id = ${q.tenantId} and interval = '1h' and bucket_start >= ${from} and bucket_start < ${to}
      group by 1, 2, 3`;
    await tx`
      insert into rb_new_sketches (p, y, i, b, sk)
      select project_id, event_type, '1d', ${from}::timestamptz, hll_union_agg(sketch)
      from rollup_sketches where tenant_id = ${q.tenantId} and interval = '1h' and bucket_start >= ${from} and bucket_start < ${to}
      group by 1, 2`;
    // Percentile sketches: the hours' bins added (exact, like any merge), then folded as quantile_merge folds.
    await tx`
      with hours as (
        select project_id as p, event_type as y, path as k, n, min_value, max_value, bins, counts
        from quantile_sketches where tenant_id = ${q.tenantId} and interval = '1h' and bucket_start >= ${from} and bucket_start < ${to} and n > 0
      ), per_bin as (
        select h.p, h.y, h.k, u.bin, sum(u.c)::bigint as c from hours h cross join lateral unnest(h.bins, h.counts) as u(bin, c) group by 1, 2, 3, 4
      ), g as (
        select h.p, h.y, h.k, sum(h.n)::bigint as cnt, min(h.min_value) as lo, max(h.max_value) as hi from hours h group by 1, 2, 3
      ), a as (
        select p, y, k, array_agg(bin order by bin) as bins, array_agg(c order by bin) as counts from per_bin group by 1, 2, 3
      )
      insert into rb_new_q (p, y, k, i, b, cnt, lo, hi, bins, counts)
      select g.p, g.y, g.k, '1d', ${from}::timestamptz, g.cnt, g.lo, g.hi, c.bins, c.counts
      from g join a using (p, y, k) cross join lateral quantile_collapse(a.bins, a.counts) as c`;
    const values = stamped(await swapIn(tx, q.tenantId, ['1d'], from, to));
    // Declared dimensions: the day regrouped from its 5m rows, like its hours'.
    await rebuildDimensions(tx, { tenantId: q.tenantId, intervals: ['1d'], from, to });
    return { events: 0, values };
  });
}

/**
 * The planner settings for a chunk's statements (this transaction only): enough work_mem that the per-10s
 * aggregations hash in memory instead of spilling sorts to disk, no Memoize in front of jsonb_each (every row's
 * properties are a new cache key: all misses), and no JIT (compiling costs more than these short statements gain).
 * EXPLAIN ANALYZE of an hour of 83 000 events: 1.08 s → 0.70 s.
 */
async function planFor(tx: Sql): Promise<void> {
  await tx`
    set local work_mem = '64MB';
    set local enable_memoize = off;
    set local jit = off`.simple();
}

/**
 * One chunk's transaction: the tenant's rollup lock held exclusively, scratch tables ready, and the tenant's zone
 * read under the lock (a zone change cannot land in between).
 */
function inChunk<T>(sql: Sql, tenantId: string, fn: (tx: Sql, zone: TenantZone) => Promise<T>): Promise<T> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await lockTenantExclusive(tx, tenantId);
    const zone = (await tenantZones(tx, [tenantId])).get(tenantId)!;
    await planFor(tx);
    await createScratch(tx, 'drop');
    return fn(tx, zone);
  }) as Promise<T>;
}

/**
 * `fn` in one transaction, opened by `begin`, on a reserved connection, which sql.begin cannot take: what it leaves
 * in the session (rebuildHour's scratch tables) is there for the next transaction.
 */
async function inTransaction<T>(
  conn: Sql,
  begin: 'begin' | 'begin isolation level repeatable read',
  fn: (tx: Sql) => Promise<T>,
): Promise<T> {
  await conn.unsafe(begin);
  try {
    const out = await fn(conn);
    await conn`commit`;
    return out;
  } catch (e) {
    if (!sessionLost(e)) await conn`rollback`.catch(() => undefined);
    throw e;
  }
}

const SCRATCH_TABLES = [
  'rb_fine',
  'rb_fine_sums',
  'rb_new',
  'rb_new_sketches',
  'rb_old',
  'rb_old_sketches',
  'rb_fine_q',
  'rb_new_q',
  'rb_old_q',
  'rb_dim_cells',
  'rb_dim_values',
];

/**
 * A chunk's scratch tables: dropped at the end of its transaction (`drop`), or kept for the session's next
 * transaction (`preserve rows`: rebuildHour drops them when it is done).
 */
async function createScratch(tx: Sql, onCommit: 'drop' | 'preserve rows'): Promise<void> {
  const end = onCommit === 'drop' ? 'on commit drop' : 'on commit preserve rows';
  await tx`drop table if exists ${tx(SCRATCH_TABLES)}`;
  await tx
    .unsafe(
      `
    create temp table rb_fine (p uuid, y text collate "C", b timestamptz, c bigint, cu bigint, sk hll) ${end};
    create temp table rb_fine_sums (p uuid, y text collate "C", b timestamptz, k text collate "C", s numeric, n bigint) ${end};
    create temp table rb_new (p uuid, y text collate "C", m text collate "C", i text collate "C", b timestamptz, v numeric) ${end};
    create temp table rb_new_sketches (p uuid, y text collate "C", i text collate "C", b timestamptz, sk hll) ${end};
    create temp table rb_old (p uuid, y text collate "C", m text collate "C", i text collate "C", b timestamptz, version bigint) ${end};
    create temp table rb_old_sketches (p uuid, y text collate "C", i text collate "C", b timestamptz, version bigint) ${end};
    create temp table rb_fine_q (p uuid, y text collate "C", b timestamptz, k text collate "C", bin int, c bigint, lo float8, hi float8, s numeric) ${end};
    create temp table rb_new_q (p uuid, y text collate "C", k text collate "C", i text collate "C", b timestamptz, cnt bigint, lo float8, hi float8,
                                bins int[], counts bigint[]) ${end};
    create temp table rb_old_q (p uuid, y text collate "C", k text collate "C", i text collate "C", b timestamptz, version bigint) ${end};
    create temp table rb_dim_cells (like dimension_cells) ${end};
    create temp table rb_dim_values (like dimension_values) ${end}`,
    )
    .simple();
}

/** Replaces the tenant's rows of `intervals` in [from, to) with rb_new / rb_new_sketches / rb_new_q, in primary-key order. */
async function swapIn(
  tx: Sql,
  tenantId: string,
  intervals: readonly Interval[],
  from: Date,
  to: Date,
): Promise<RollupValue[]> {
  const ivs = tx.array([...intervals]);
  // Each table's old rows (their keys and versions) move to its rb_old* table; the table names are constants.
  const moveOld = (table: string, key: string[], into: string) => tx`
    with d as (
      delete from ${tx(table)} where tenant_id = ${tenantId} and interval = any(${ivs}::text[]) and bucket_start >= ${from} and bucket_start < ${to}
      returning ${tx([...key, 'interval', 'bucket_start', 'version'] as [...string[], string, string, string])}
    ) insert into ${tx(into)} select * from d`;
  await moveOld('rollups', ['project_id', 'event_type', 'metric'], 'rb_old');
  await moveOld('rollup_sketches', ['project_id', 'event_type'], 'rb_old_sketches');
  await moveOld('quantile_sketches', ['project_id', 'event_type', 'path'], 'rb_old_q');
  // Percentile sketches are not cached in Redis (adapters/metric-reader.ts): nothing to return for the refresh.
  await tx`
    insert into quantile_sketches (tenant_id, project_id, event_type, path, interval, bucket_start, n, min_value, max_value, bins, counts, version)
    select ${tenantId}, p, y, k, i, b, coalesce(nq.cnt, 0), nq.lo, nq.hi, coalesce(nq.bins, '{}'), coalesce(nq.counts, '{}'),
           rollup_next_version(o.version)
    from rb_new_q nq full join rb_old_q o using (p, y, k, i, b)
    order by p, y, k, i, b`;
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const counts = await tx<RollupRow[]>`
    insert into rollups (tenant_id, project_id, event_type, metric, interval, bucket_start, value, version)
    select ${tenantId}, p, y, m, i, b, coalesce(n.v, 0), rollup_next_version(o.version)
    from rb_new n full join rb_old o using (p, y, m, i, b)
    order by p, y, m, i, b
    returning tenant_id as "tenantId", project_id as "projectId", event_type as "eventType", metric, interval, bucket_start as "bucketStart", value::text as value, version::text as version`;
  const sketches = await tx<RollupRow[]>`
    insert into rollup_sketches as s (tenant_id, project_id, event_type, interval, bucket_start, sketch, version)
    select ${tenantId}, p, y, i, b, coalesce(n.sk, hll_empty(${log2m}, ${regwidth}, ${expthresh}, ${sparseon})), rollup_next_version(o.version)
    from rb_new_sketches n full join rb_old_sketches o using (p, y, i, b)
    order by p, y, i, b
    returning tenant_id as "tenantId", project_id as "projectId", event_type as "eventType", 'unique_users' as metric, interval, bucket_start as "bucketStart",
              round(hll_cardinality(s.sketch))::bigint::text as value, version::text as version`;
  return [...counts, ...sketches].map(toValue);
}

/**
 * Tenants with anything to rebuild in [fromMs, toMs): raw events (with their number per hour, for progress) or
 * hourly/daily rollups (which a rebuild may have to zero).
 */
export async function rebuildScope(
  sql: Sql,
  q: { fromMs: number; toMs: number; tenantId?: string },
): Promise<{ tenantId: string; hourMs: number; events: number }[]> {
  const from = new Date(q.fromMs);
  const to = new Date(q.toMs);
  const tenant = q.tenantId ?? null;
  const rows = await sql<{ tenantId: string; hour: Date; events: string }[]>`
    select tenant_id as "tenantId", date_bin('1 hour', ts, timestamptz 'epoch') as hour, count(*)::text as events
    from events where ts >= ${from} and ts < ${to} and (${tenant}::uuid is null or tenant_id = ${tenant}::uuid)
    group by 1, 2
    union all
    select distinct tenant_id, bucket_start, '0' from rollups
    where interval in ('1h', '1d') and bucket_start >= ${from} and bucket_start < ${to} and (${tenant}::uuid is null or tenant_id = ${tenant}::uuid)
    union all
    select distinct tenant_id, bucket_start, '0' from rollup_sketches
    where interval in ('1h', '1d') and bucket_start >= ${from} and bucket_start < ${to} and (${tenant}::uuid is null or tenant_id = ${tenant}::uuid)`;
  return rows.map((r) => ({ tenantId: r.tenantId, hourMs: r.hour.getTime(), events: Number(r.events) }));
}

/** Rebuild's reads and swaps (Adapters.rebuildStore), with the process's client. */
export const createRebuildStore = (sql: Sql) =>
  bindSql(sql, {
    rebuildScope,
    rebuildHour,
    rebuildDay,
    declaredDimensionIds,
    extendDimensionCoverage,
    rebuildPeople,
  });
export type RebuildStore = ReturnType<typeof createRebuildStore>;
