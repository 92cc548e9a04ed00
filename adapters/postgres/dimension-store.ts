// Declared dimensions and their rollups (migrations 015 and 020, docs/architecture.md#metrics-engine,
// docs/api.md#breakdowns).
//
// Storage (migration 020): per (dimension, interval, bucket) a header row in dimension_buckets, and per kept value,
// '$other' and '$none' ONE row in dimension_cells with the count and `nums` = {"<property>": [sum, n]} of the events'
// top-level JSON-number properties; a kept value's text once per dimension in dimension_values. No 10s rows
// (DIMENSION_INTERVALS: 10s breakdowns read raw events).
//
// A dimension's bucket keeps the K values (event_dimensions.max_values) whose md5 is smallest, the rest summed in
// '$other', events without the property in '$none'. Which values are kept is a function of the set of events in the
// bucket only (not of their order or batching): the batch's values and the kept ones are ranked together and a kept
// value pushed past K moves its amounts into '$other' (counts and sums add, so the move is exact). Live writes,
// replay (the same writes) and rebuild (the same rule in one SQL statement) therefore give identical rows.
// Concurrency: aggregate transactions of a tenant run in parallel (rollup lock shared), so each bucket's header row
// in dimension_buckets is locked (upsert, in key order, like upsertDeltas) before the bucket's kept values are read;
// value texts are inserted after every header lock is held, in key order.
import type { Sql } from './client';
import { lockTenantExclusive } from './rollup-lock';
import { seriesValueSql, valueKeySql } from './dimension-sql';
import type { RawEvent } from '../../core/raw-event';
import { INTERVAL_MS, type Interval } from '../../core/intervals';
import { preAggregatedProperties, type BucketOf } from '../../core/rollups';
import { DIMENSION_INTERVALS, type DimensionDeclaration } from '../../core/breakdown';

interface Declared {
  id: string;
  t: string;
  p: string;
  y: string;
  k: number;
  d: string;
}

/** One (dimension, interval, bucket, value) of the batch: its count and nums (jsonb text, exact numerics). */
interface Increment {
  id: string;
  i: string;
  b: string;
  key: string;
  value: string;
  count: string;
  nums: string;
}

type Bucket = { id: string; i: string; b: string };
const headerId = (r: Bucket) => `${r.id}\u0000${r.i}\u0000${r.b}`;

/** C-collation order of text (UTF-8 bytes), as Postgres orders the primary key. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
/** Header order: dimension id (bigint), interval, bucket start (ISO text sorts as time). */
const byBucket = (a: Bucket, b: Bucket) =>
  Number(BigInt(a.id) - BigInt(b.id)) || byBytes(a.i, b.i) || byBytes(a.b, b.b);

/**
 * Folds the batch's new events (after dedupe) into the dimension rows of their declared dimensions, in the
 * batch's transaction (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect). Buckets come from bucketOf.
 */
export async function upsertDimensions(
  sql: Sql,
  fresh: RawEvent[],
  allIntervals: readonly Interval[],
  bucketOf: BucketOf,
): Promise<void> {
  const intervals = allIntervals.filter((i) => DIMENSION_INTERVALS.includes(i));
  if (fresh.length === 0 || intervals.length === 0) return;
  const typeKeys = new Map<string, { t: string; p: string; y: string }>();
  for (const e of fresh)
    typeKeys.set(`${e.tenantId}\u0000${e.projectId}\u0000${e.eventType}`, {
      t: e.tenantId,
      p: e.projectId,
      y: e.eventType,
    });
  const declared = await sql<Declared[]>`
    select d.id::text as id, d.tenant_id as t, d.project_id as p, d.event_type as y, d.dimension as d, d.max_values as k
    from event_dimensions d join jsonb_to_recordset(${sql.json([...typeKeys.values()])}) as x(t uuid, p uuid, y text)
      on d.tenant_id = x.t and d.project_id = x.p and d.event_type = x.y`;
  if (declared.length === 0) return;
  const dimsOf = new Map<string, Declared[]>();
  for (const d of declared) {
    const id = `${d.t}\u0000${d.p}\u0000${d.y}`;
    (dimsOf.get(id) ?? dimsOf.set(id, []).get(id)!).push(d);
  }
  const kOf = new Map<string, number>(declared.map((d) => [d.id, d.k]));

  // The events of one dimension with the same value (its JSON text) and the same bucket in every interval form one
  // group: one input row per group, not per (event, dimension, interval), and each event's numbers sent once.
  // Grouping by the JSON text only merges events whose values Postgres sees as the same jsonb; values that differ in
  // text but give the same series value (1 and "1") are merged by the key below, as before.
  const groups = new Map<string, { id: string; v: unknown; b: string[]; c: number; x: number[] }>();
  const numbers: { x: number; n: Record<string, unknown> }[] = [];
  for (const e of fresh) {
    const dims = dimsOf.get(`${e.tenantId}\u0000${e.projectId}\u0000${e.eventType}`);
    if (!dims) continue;
    const props = preAggregatedProperties(e);
    let x = -1;
    if (props.length > 0) {
      // Own properties only (a name may be `__proto__`, which plain assignment would drop).
      const n: Record<string, unknown> = Object.fromEntries(props.map((k) => [k, e.properties[k]]));
      x = numbers.length;
      numbers.push({ x, n });
    }
    const b = intervals.map((i) => new Date(bucketOf(e.tenantId, e.timestampMs, i)).toISOString());
    const bKey = b.join(',');
    for (const d of dims) {
      const v = Object.prototype.hasOwnProperty.call(e.properties, d.d) ? (e.properties[d.d] ?? null) : null;
      const gk = `${d.id}\u0000${bKey}\u0000${JSON.stringify(v)}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { id: d.id, v, b, c: 0, x: [] }));
      g.c++;
      if (x >= 0) g.x.push(x);
    }
  }
  if (groups.size === 0) return;

  // 1. The batch's count and nums per (bucket, value): the series value and its key computed by the SQL every
  //    source uses; nums as jsonb text (postgres.js would parse its numbers into doubles). Exact: counts and
  //    numeric sums add in any grouping.
  const s = sql`g1.s`;
  const incs = await sql<(Omit<Increment, 'b'> & { b: Date })[]>`
    with g0 as (
      select row_number() over () as g, r.id, r.v, r.c, r.x, r.b
      from jsonb_to_recordset(${sql.json([...groups.values()] as never)}) as r(id bigint, v jsonb, c bigint, x int[], b timestamptz[])
    ), g1 as (select g0.*, ${seriesValueSql(sql, sql`g0.v`)} as s from g0),
    g as (select g1.*, ${valueKeySql(sql, s)} as key from g1),
    e as (
      select e.x, kv.k as prop, kv.v::numeric as v
      from jsonb_to_recordset(${sql.json(numbers as never)}) as e(x int, n jsonb) cross join lateral jsonb_each(e.n) as kv(k, v)
      where jsonb_typeof(kv.v) = 'number'
    ), gp as (
      select g.g, e.prop, sum(e.v) as s, count(*) as n
      from g cross join lateral unnest(g.x) as u(x) join e on e.x = u.x group by 1, 2
    ), gi as (
      select g.g, g.id, iv.i, g.b[iv.o] as b, g.key, g.s, g.c
      from g cross join unnest(${sql.array([...intervals])}::text[]) with ordinality as iv(i, o)
    ), c as (select id, i, b, key, min(s) as value, sum(c) as count from gi group by 1, 2, 3, 4),
    p as (
      select gi.id, gi.i, gi.b, gi.key, gp.prop, sum(gp.s) as s, sum(gp.n) as n from gi join gp using (g) group by 1, 2, 3, 4, 5
    ), pn as (select id, i, b, key, jsonb_object_agg(prop, jsonb_build_array(s, n)) as nums from p group by 1, 2, 3, 4)
    select c.id::text as id, c.i, c.b, c.key, c.value, c.count::text as count, coalesce(pn.nums, '{}')::text as nums
    from c left join pn using (id, i, b, key)`;
  const increments: Increment[] = incs.map((r) => ({ ...r, b: r.b.toISOString() }));

  // 2. Lock the buckets' header rows, in primary-key order (concurrent batches and replays cannot deadlock).
  const headers = new Map<string, Bucket>();
  for (const r of increments) headers.set(headerId(r), { id: r.id, i: r.i, b: r.b });
  const headerRows = [...headers.values()].sort(byBucket);
  await sql`
    insert into dimension_buckets as h (dimension_id, interval, bucket_start)
    select x.id, x.i, x.b from jsonb_to_recordset(${sql.json(headerRows)}) as x(id bigint, i text, b timestamptz)
    order by x.id, x.i collate "C", x.b
    on conflict (dimension_id, interval, bucket_start) do update set bucket_start = excluded.bucket_start`;

  // 3. The values each bucket keeps now (read under the header locks: no other writer changes them until commit).
  const kept = await sql<{ id: string; i: string; b: Date; key: string }[]>`
    select c.dimension_id::text as id, c.interval as i, c.bucket_start as b, c.value_key as key
    from jsonb_to_recordset(${sql.json(headerRows)}) as x(id bigint, i text, b timestamptz)
    join dimension_cells c on c.dimension_id = x.id and c.interval = x.i and c.bucket_start = x.b
    where c.value_key <> '$none' and c.value_key <> '$other'`;
  const keptOf = new Map<string, Set<string>>();
  for (const r of kept) {
    const id = headerId({ ...r, b: r.b.toISOString() });
    (keptOf.get(id) ?? keptOf.set(id, new Set()).get(id)!).add(r.key);
  }

  // 4. Rank the kept and incoming values of each bucket together; the K smallest keys stay.
  const incomingOf = new Map<string, Set<string>>();
  for (const r of increments) {
    if (r.key === '$none') continue;
    const id = headerId(r);
    (incomingOf.get(id) ?? incomingOf.set(id, new Set()).get(id)!).add(r.key);
  }
  const staysOf = new Map<string, Set<string>>();
  const evicted: (Bucket & { k: string })[] = [];
  for (const [id, h] of headers) {
    const before = keptOf.get(id) ?? new Set<string>();
    const all = [...new Set([...before, ...(incomingOf.get(id) ?? [])])].sort(byBytes);
    const stays = new Set(all.slice(0, kOf.get(h.id)!));
    staysOf.set(id, stays);
    for (const k of before) if (!stays.has(k)) evicted.push({ ...h, k });
  }

  // 5. Kept values pushed past K move their count and nums into '$other' (exact: they add).
  if (evicted.length > 0) {
    evicted.sort((a, b) => byBucket(a, b) || byBytes(a.k, b.k));
    await sql`
      with ev as (
        select x.id, x.i, x.b, x.k from jsonb_to_recordset(${sql.json(evicted)}) as x(id bigint, i text, b timestamptz, k text)
      ), del as (
        delete from dimension_cells c using ev
        where c.dimension_id = ev.id and c.interval = ev.i and c.bucket_start = ev.b and c.value_key = ev.k
        returning c.dimension_id, c.interval, c.bucket_start, c.count, c.nums
      )
      insert into dimension_cells as c (dimension_id, interval, bucket_start, value_key, count, nums)
      select dimension_id, interval, bucket_start, '$other', sum(count), dimension_nums_sum(nums)
      from del group by dimension_id, interval, bucket_start
      order by dimension_id, interval, bucket_start
      on conflict (dimension_id, interval, bucket_start, value_key)
      do update set count = c.count + excluded.count, nums = dimension_nums_add(c.nums, excluded.nums)`;
  }

  // 6. The batch's rows: into their value when it stays, else into '$other'; merged per row in SQL, in key order.
  //    Then the texts of the values kept (new ones inserted; present ones are the same text).
  const writes = increments.map((r) => {
    const stays = r.key === '$none' || staysOf.get(headerId(r))!.has(r.key);
    return { id: r.id, i: r.i, b: r.b, key: stays ? r.key : '$other', count: r.count, nums: r.nums };
  });
  await sql`
    insert into dimension_cells as c (dimension_id, interval, bucket_start, value_key, count, nums)
    select x.id, x.i, x.b, x.key, sum(x.count), dimension_nums_sum(x.nums::jsonb)
    from jsonb_to_recordset(${sql.json(writes)}) as x(id bigint, i text, b timestamptz, key text, count bigint, nums text)
    group by x.id, x.i, x.b, x.key
    order by x.id, x.i collate "C", x.b, x.key collate "C"
    on conflict (dimension_id, interval, bucket_start, value_key)
    do update set count = c.count + excluded.count, nums = dimension_nums_add(c.nums, excluded.nums)`;
  const texts = new Map<string, { id: string; key: string; value: string }>();
  for (const r of increments) {
    if (r.key !== '$none' && staysOf.get(headerId(r))!.has(r.key))
      texts.set(`${r.id}\u0000${r.key}`, { id: r.id, key: r.key, value: r.value });
  }
  if (texts.size > 0) {
    await sql`
      insert into dimension_values (dimension_id, value_key, value)
      select x.id, x.key, x.value from jsonb_to_recordset(${sql.json([...texts.values()])}) as x(id bigint, key text, value text)
      order by x.id, x.key collate "C"
      on conflict (dimension_id, value_key) do nothing`;
  }
}

/** The tenant's dimension ids, for the statements below. */
const tenantDims = (tx: Sql, tenantId: string) => tx`select id from event_dimensions where tenant_id = ${tenantId}`;

/**
 * Rebuild (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools): replaces the tenant's dimension rows of
 * `intervals` in [from, to) in the rebuild chunk's transaction (tenant lock exclusive). 1m and 5m rows from the raw
 * events under the same K rule (date_bin from the epoch: 5 min divides every time-zone offset), then 1h and 1d
 * rows regrouped from the 5m ones (regroupDimensionsFrom5m), over UTC buckets here; a tenant time zone only changes
 * the spans given to it. 10s has no dimension rows.
 */
export async function rebuildDimensions(
  tx: Sql,
  q: { tenantId: string; intervals: readonly Interval[]; from: Date; to: Date },
  opts: { prepared?: boolean } = {},
): Promise<void> {
  if (!opts.prepared) await prepareDimensionsFromRaw(tx, q);
  const fine = fineOf(q.intervals);
  if (fine.length > 0) await swapDimensionsFromRaw(tx, { ...q, intervals: fine });
  for (const interval of q.intervals.filter((i): i is '1h' | '1d' => i === '1h' || i === '1d')) {
    const spans: { startMs: number; endMs: number }[] = [];
    const width = INTERVAL_MS[interval];
    for (let t = Math.floor(q.from.getTime() / width) * width; t < q.to.getTime(); t += width)
      spans.push({ startMs: t, endMs: t + width });
    await regroupDimensionsFrom5m(tx, { tenantId: q.tenantId, interval, spans });
  }
}

/**
 * The tenant's declarations as a text (each dimension's id, project, type, property and K): rebuild prepares an
 * hour's dimension rows without the lock and swaps them in only if this is unchanged (rebuild-store.ts rebuildHour).
 */
export async function declarationsDigest(tx: Sql, tenantId: string): Promise<string> {
  const [d] = await tx<{ v: string }[]>`
    select coalesce(string_agg(id || ' ' || project_id || ' ' || event_type || ' ' || dimension || ' ' || max_values, ',' order by id), '') as v
    from event_dimensions where tenant_id = ${tenantId}`;
  return d!.v;
}

/** The intervals whose dimension rows come from raw events (1h and 1d are regrouped from 5m; 10s has none). */
const fineOf = (intervals: readonly Interval[]) => intervals.filter((i) => i === '1m' || i === '5m');

/**
 * Dimension rows of the 1m and 5m `intervals` in [from, to) recomputed from raw events into the session's scratch
 * tables rb_dim_cells and rb_dim_values (made here for this transaction unless the caller made them): the K rule as
 * a row_number() in SQL. swapDimensionsFromRaw puts them in place.
 */
export async function prepareDimensionsFromRaw(
  tx: Sql,
  q: { tenantId: string; intervals: readonly Interval[]; from: Date; to: Date },
): Promise<void> {
  const intervals = fineOf(q.intervals);
  if (intervals.length === 0) return;
  await tx`
    create temp table if not exists rb_dim_cells (like dimension_cells) on commit drop;
    create temp table if not exists rb_dim_values (like dimension_values) on commit drop;
    truncate rb_dim_cells, rb_dim_values`.simple();
  // With no statistics on what the CTEs hold, the planner estimates a row or two per side and joins the counts to
  // the sums by a nested loop over every pair of cells: ~35 000 cells of an hour took minutes instead of 0.7 s.
  await tx`set local enable_nestloop = off`;
  const strides = tx.json(intervals.map((i) => ({ i, ms: INTERVAL_MS[i] })));
  const s = tx`x.s`;
  await tx`
    with dims as (
      select id, project_id as p, event_type as y, dimension as d, max_values as k from event_dimensions where tenant_id = ${q.tenantId}
    ), iv as (
      select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${strides}) as iv(i text, ms bigint)
    ), x as (
      select dims.id, dims.k, iv.i, date_bin(iv.stride, e.ts, timestamptz 'epoch') as b,
             ${seriesValueSql(tx, tx`(e.properties -> dims.d)`)} as s, e.properties
      from events e join dims on e.project_id = dims.p and e.event_type = dims.y cross join iv
      where e.tenant_id = ${q.tenantId} and e.ts >= ${q.from} and e.ts < ${q.to}
    ), kx as (select x.*, ${valueKeySql(tx, s)} as key from x),
    ranked as (
      select id, i, b, key, min(s) as s,
             case when key = '$none' then '$none'
                  when row_number() over (partition by id, i, b, key = '$none' order by key) <= min(k) then key
                  else '$other' end as kk
      from kx group by id, i, b, key
    ), m as (
      select kx.id, kx.i, kx.b, r.kk, kx.properties from kx join ranked r using (id, i, b, key)
    ), cnt as (
      select id, i, b, kk, count(*) as count from m group by 1, 2, 3, 4
    ), pr as (
      select m.id, m.i, m.b, m.kk, j.k, sum((m.properties -> j.k)::numeric) as s, count(*) as n
      from m cross join lateral jsonb_object_keys(m.properties) as j(k)
      where jsonb_typeof(m.properties -> j.k) = 'number' and j.k <> '' and strpos(j.k, '.') = 0
      group by 1, 2, 3, 4, 5
    ), pn as (
      select id, i, b, kk, jsonb_object_agg(k, jsonb_build_array(s, n)) as nums from pr group by 1, 2, 3, 4
    ), vals as (
      insert into rb_dim_values (dimension_id, value_key, value)
      select distinct id, key, s from ranked where kk = key and key <> '$none'
      returning 1
    )
    insert into rb_dim_cells (dimension_id, interval, bucket_start, value_key, count, nums)
    select cnt.id, cnt.i, cnt.b, cnt.kk, cnt.count, coalesce(pn.nums, '{}')
    from cnt left join pn using (id, i, b, kk)`;
  await tx`set local enable_nestloop to default`;
}

/** Replaces the tenant's dimension rows of `intervals` in [from, to) with those prepareDimensionsFromRaw made. */
async function swapDimensionsFromRaw(
  tx: Sql,
  q: { tenantId: string; intervals: readonly Interval[]; from: Date; to: Date },
): Promise<void> {
  const ivs = tx.array([...q.intervals]);
  for (const table of ['dimension_cells', 'dimension_buckets'] as const) {
    await tx`
      delete from ${tx(table)} where dimension_id in (${tenantDims(tx, q.tenantId)}) and interval = any(${ivs}::text[])
        and bucket_start >= ${q.from} and bucket_start < ${q.to}`;
  }
  await tx`
    insert into dimension_values (dimension_id, value_key, value)
    select dimension_id, value_key, value from rb_dim_values order by 1, 2
    on conflict (dimension_id, value_key) do nothing`;
  await tx`
    insert into dimension_buckets (dimension_id, interval, bucket_start)
    select distinct dimension_id, interval, bucket_start from rb_dim_cells order by 1, 2, 3`;
  await tx`
    insert into dimension_cells (dimension_id, interval, bucket_start, value_key, count, nums)
    select dimension_id, interval, bucket_start, value_key, count, nums from rb_dim_cells order by 1, 2, 3, 4`;
}

/**
 * Regroups a tenant's 1h or 1d dimension rows from its 5m rows, for buckets given as [startMs, endMs) spans (their
 * bucketing is the caller's: UTC, or a tenant time zone once 1h/1d follow one; 5 min divides every zone offset).
 * Exact: a value among the K smallest md5 of a span's values is among the K smallest of every 5m bucket it occurs
 * in, so its 5m rows hold all its events; the span keeps the K smallest value keys of its 5m rows, and '$other'
 * gets the 5m '$other' amounts plus every value not kept. The result equals what live writes in that bucketing give.
 * Kept values' texts are already in dimension_values (from their 5m rows).
 * The caller holds the tenant's rollup lock exclusively (as rebuild does); spans must not overlap.
 */
export async function regroupDimensionsFrom5m(
  tx: Sql,
  q: { tenantId: string; interval: '1h' | '1d'; spans: { startMs: number; endMs: number }[] },
): Promise<void> {
  if (q.spans.length === 0) return;
  const spans = tx.json(
    q.spans.map((x) => ({ s: new Date(x.startMs).toISOString(), e: new Date(x.endMs).toISOString() })),
  );
  for (const table of ['dimension_cells', 'dimension_buckets'] as const) {
    await tx`
      delete from ${tx(table)} t using jsonb_to_recordset(${spans}) as x(s timestamptz, e timestamptz)
      where t.dimension_id in (${tenantDims(tx, q.tenantId)}) and t.interval = ${q.interval}
        and t.bucket_start >= x.s and t.bucket_start < x.e`;
  }
  await tx`
    with dims as (
      select id, max_values as k from event_dimensions where tenant_id = ${q.tenantId}
    ), fine as (
      select c.dimension_id as id, x.s as b, c.value_key as key, c.count, c.nums
      from dimension_cells c join dims on c.dimension_id = dims.id
        join jsonb_to_recordset(${spans}) as x(s timestamptz, e timestamptz) on c.bucket_start >= x.s and c.bucket_start < x.e
      where c.interval = '5m'
    ), keys as (
      select f.id, f.b, f.key, row_number() over (partition by f.id, f.b order by f.key collate "C") as rn
      from (select distinct id, b, key from fine where key <> '$none' and key <> '$other') f
    ), mapped as (
      select f.id, f.b,
             case when f.key in ('$none', '$other') then f.key when k.rn <= dims.k then f.key else '$other' end as kk,
             f.count, f.nums
      from fine f join dims using (id) left join keys k using (id, b, key)
    ), cnt as (
      select id, b, kk, sum(count)::bigint as count from mapped group by 1, 2, 3
    ), pr as (
      -- nums added per property, set-based (one jsonb_each over the rows, no per-row function call)
      select m.id, m.b, m.kk, j.k, sum((j.v ->> 0)::numeric) as s, sum((j.v ->> 1)::numeric) as n
      from mapped m cross join lateral jsonb_each(m.nums) as j(k, v) group by 1, 2, 3, 4
    ), pn as (
      select id, b, kk, jsonb_object_agg(k, jsonb_build_array(s, n)) as nums from pr group by 1, 2, 3
    ), agg as (
      select cnt.id, cnt.b, cnt.kk, cnt.count, coalesce(pn.nums, '{}') as nums from cnt left join pn using (id, b, kk)
    ), headers as (
      insert into dimension_buckets (dimension_id, interval, bucket_start)
      select distinct id, ${q.interval}, b from agg order by 1, 3
      returning 1
    )
    insert into dimension_cells (dimension_id, interval, bucket_start, value_key, count, nums)
    select id, ${q.interval}, b, kk, count, nums from agg order by 1, 3, 4`;
}

/**
 * After `customersignal rebuild` recomputed every bucket of a tenant in [from, to) (days without raw events or rollups
 * hold nothing to miss): a dimension's rollups are complete from `from` when the range reaches its complete_from, or
 * reaches past every event aggregated before the declaration (stamped at most maxFutureSkewMs + 1 min after it).
 * `dimensionIds`: the dimensions declared when the rebuild began (declaredDimensionIds).
 */
export async function extendDimensionCoverage(
  sql: Sql,
  q: { tenantId: string; fromMs: number; toMs: number; maxFutureSkewMs: number; dimensionIds: string[] },
): Promise<void> {
  const from = new Date(q.fromMs);
  const to = new Date(q.toMs);
  await sql`
    update event_dimensions set complete_from = ${from}
    where tenant_id = ${q.tenantId} and id = any(${sql.array(q.dimensionIds)}::bigint[]) and complete_from > ${from}
      and (complete_from <= ${to} or declared_at + (${q.maxFutureSkewMs + 60_000}::bigint || ' milliseconds')::interval <= ${to})`;
}

/**
 * The tenant's declared dimensions now: a rebuild extends the coverage of those declared before its first chunk
 * only (one declared during the run has no rows in the hours rebuilt before it).
 */
export async function declaredDimensionIds(sql: Sql, tenantId: string): Promise<string[]> {
  const rows = await sql<
    { id: string }[]
  >`select id::text from event_dimensions where tenant_id = ${tenantId} order by id`;
  return rows.map((r) => r.id);
}

/** The declared dimensions of an event type in the given projects, with their complete_from. */
export async function readDimensionDeclarations(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; eventType: string },
): Promise<DimensionDeclaration[]> {
  if (q.projectIds.length === 0) return [];
  const rows = await sql<{ id: string; projectId: string; dimension: string; completeFrom: Date }[]>`
    select id::text as id, project_id as "projectId", dimension, complete_from as "completeFrom" from event_dimensions
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = ${q.eventType}`;
  return rows.map((r) => ({
    id: r.id,
    projectId: r.projectId,
    dimension: r.dimension,
    completeFromMs: r.completeFrom.getTime(),
  }));
}

/**
 * Sets the dimensions of one project's event type (PUT /v1/catalog/{event_type} "dimensions"), in the declaration's
 * transaction. Under the tenant's rollup lock held exclusively, so every batch that did not see the declaration has
 * committed: it stored events stamped at most `maxFutureSkewMs` after now (ingest refuses later ones), so buckets
 * from complete_from = now + skew + 1 min (margin for clocks), rounded up to a minute, hold every event. Kept
 * dimensions keep their complete_from and K; removed ones lose their rows.
 */
export async function setDimensions(
  tx: Sql,
  d: { tenantId: string; projectId: string; eventType: string; dimensions: string[]; maxValues: number },
  maxFutureSkewMs: number,
): Promise<void> {
  await lockTenantExclusive(tx, d.tenantId);
  const gone = await tx<{ id: string }[]>`
    delete from event_dimensions
    where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType}
      and not (dimension = any(${tx.array(d.dimensions)}::text[]))
    returning id::text as id`;
  if (gone.length > 0) {
    // Their dimension_values go with them (foreign key, on delete cascade).
    const ids = tx.array(gone.map((g) => g.id));
    for (const table of ['dimension_cells', 'dimension_buckets'] as const)
      await tx`delete from ${tx(table)} where dimension_id = any(${ids}::bigint[])`;
  }
  if (d.dimensions.length === 0) return;
  const margin = maxFutureSkewMs + 60_000;
  await tx`
    insert into event_dimensions (tenant_id, project_id, event_type, dimension, max_values, declared_at, complete_from)
    select ${d.tenantId}, ${d.projectId}, ${d.eventType}, x.d, ${d.maxValues}, c.now,
           date_trunc('minute', c.now + (${margin}::bigint || ' milliseconds')::interval) + interval '1 minute'
    from (select clock_timestamp() as now) c, unnest(${tx.array([...d.dimensions].sort(byBytes))}::text[]) as x(d)
    on conflict (tenant_id, project_id, event_type, dimension) do nothing`;
}
