// Declared dimensions and their rollups (migration 015, docs/architecture.md#metrics-engine, docs/api.md#breakdowns).
//
// A dimension's bucket keeps the K values (event_dimensions.max_values) whose md5 is smallest, the rest summed in
// '$other', events without the property in '$none'. Which values are kept is a function of the set of events in the
// bucket only (not of their order or batching): the batch's values and the kept ones are ranked together and a kept
// value pushed past K moves its amounts into '$other' (counts and sums add, so the move is exact). Live writes,
// replay (the same writes) and rebuild (the same rule in one SQL statement) therefore give identical rows.
// Concurrency: aggregate transactions of a tenant run in parallel (rollup lock shared), so each bucket's header row
// in dimension_buckets is locked (upsert, in key order, like upsertDeltas) before the bucket's kept values are read.
import type { Sql } from './client';
import { lockTenantExclusive } from './rollup-lock';
import { seriesValueSql, valueKeySql } from './dimension-sql';
import type { RawEvent } from '../../core/raw-event';
import { INTERVAL_MS, type Interval } from '../../core/intervals';
import { addDecimals, preAggregatedProperties, type BucketOf } from '../../core/rollups';
import type { DimensionDeclaration } from '../../core/breakdown';

interface Declared {
  t: string;
  p: string;
  y: string;
  d: string;
  k: number;
}

interface Increment {
  t: string;
  p: string;
  y: string;
  d: string;
  i: string;
  b: string;
  key: string;
  value: string;
  metric: string;
  amount: string;
}

const headerId = (r: { t: string; p: string; y: string; d: string; i: string; b: string }) =>
  `${r.t}\u0000${r.p}\u0000${r.y}\u0000${r.d}\u0000${r.i}\u0000${r.b}`;

/** C-collation order of text (UTF-8 bytes), as Postgres orders the primary key. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * Folds the batch's new events (after dedupe) into the dimension rollups of their declared dimensions, in the
 * batch's transaction (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect). Buckets come from bucketOf.
 */
export async function upsertDimensions(
  sql: Sql,
  fresh: RawEvent[],
  intervals: readonly Interval[],
  bucketOf: BucketOf,
): Promise<void> {
  if (fresh.length === 0 || intervals.length === 0) return;
  const typeKeys = new Map<string, { t: string; p: string; y: string }>();
  for (const e of fresh)
    typeKeys.set(`${e.tenantId}\u0000${e.projectId}\u0000${e.eventType}`, {
      t: e.tenantId,
      p: e.projectId,
      y: e.eventType,
    });
  const declared = await sql<Declared[]>`
    select d.tenant_id as t, d.project_id as p, d.event_type as y, d.dimension as d, d.max_values as k
    from event_dimensions d join jsonb_to_recordset(${sql.json([...typeKeys.values()])}) as x(t uuid, p uuid, y text)
      on d.tenant_id = x.t and d.project_id = x.p and d.event_type = x.y`;
  if (declared.length === 0) return;
  const dimsOf = new Map<string, Declared[]>();
  for (const d of declared) {
    const id = `${d.t}\u0000${d.p}\u0000${d.y}`;
    (dimsOf.get(id) ?? dimsOf.set(id, []).get(id)!).push(d);
  }
  const kOf = new Map<string, number>(declared.map((d) => [`${d.t}\u0000${d.p}\u0000${d.y}\u0000${d.d}`, d.k]));

  // One input row per (event, dimension, interval): the bucket from bucketOf, the property's JSON value, the numbers.
  const rows: { t: string; p: string; y: string; d: string; i: string; b: string; v: unknown; n: object }[] = [];
  for (const e of fresh) {
    const dims = dimsOf.get(`${e.tenantId}\u0000${e.projectId}\u0000${e.eventType}`);
    if (!dims) continue;
    const nums: Record<string, unknown> = {};
    for (const k of preAggregatedProperties(e)) nums[k] = e.properties[k];
    for (const d of dims) {
      const v = Object.prototype.hasOwnProperty.call(e.properties, d.d) ? e.properties[d.d] : null;
      for (const i of intervals) {
        const b = new Date(bucketOf(e.tenantId, e.timestampMs, i)).toISOString();
        rows.push({ t: e.tenantId, p: e.projectId, y: e.eventType, d: d.d, i, b, v, n: nums });
      }
    }
  }
  if (rows.length === 0) return;

  // 1. The batch's amounts per (bucket, value): the series value and its key computed by the SQL every source uses.
  const s = sql`x.s`;
  const incs = await sql<(Omit<Increment, 'b'> & { b: Date })[]>`
    with x as (
      select x.t, x.p, x.y, x.d, x.i, x.b, ${seriesValueSql(sql, sql`x.v`)} as s, x.n
      from jsonb_to_recordset(${sql.json(rows as never)}) as x(t uuid, p uuid, y text, d text, i text, b timestamptz, v jsonb, n jsonb)
    ), k as (select x.*, ${valueKeySql(sql, s)} as key from x)
    select t, p, y, d, i, b, key, s as value, 'count' as metric, count(*)::text as amount from k group by 1, 2, 3, 4, 5, 6, 7, 8
    union all
    select k.t, k.p, k.y, k.d, k.i, k.b, k.key, k.s, 'sum:' || kv.k, sum(kv.v::numeric)::text
    from k cross join lateral jsonb_each(k.n) as kv(k, v) where jsonb_typeof(kv.v) = 'number' group by 1, 2, 3, 4, 5, 6, 7, 8, 9
    union all
    select k.t, k.p, k.y, k.d, k.i, k.b, k.key, k.s, 'n:' || kv.k, count(*)::text
    from k cross join lateral jsonb_each(k.n) as kv(k, v) where jsonb_typeof(kv.v) = 'number' group by 1, 2, 3, 4, 5, 6, 7, 8, 9`;
  const increments: Increment[] = incs.map((r) => ({ ...r, b: r.b.toISOString() }));

  // 2. Lock the buckets' header rows, in primary-key order (concurrent batches and replays cannot deadlock).
  const headers = new Map<string, { t: string; p: string; y: string; d: string; i: string; b: string }>();
  for (const r of increments) headers.set(headerId(r), { t: r.t, p: r.p, y: r.y, d: r.d, i: r.i, b: r.b });
  const headerRows = [...headers.values()];
  await sql`
    insert into dimension_buckets as h (tenant_id, project_id, event_type, dimension, interval, bucket_start)
    select x.t, x.p, x.y, x.d, x.i, x.b from jsonb_to_recordset(${sql.json(headerRows)}) as x(t uuid, p uuid, y text, d text, i text, b timestamptz)
    order by x.t, x.p, x.y collate "C", x.d collate "C", x.i collate "C", x.b
    on conflict (tenant_id, project_id, event_type, dimension, interval, bucket_start) do update set bucket_start = excluded.bucket_start`;

  // 3. The values each bucket keeps now (read under the header locks: no other writer changes them until commit).
  const kept = await sql<{ t: string; p: string; y: string; d: string; i: string; b: Date; key: string }[]>`
    select r.tenant_id as t, r.project_id as p, r.event_type as y, r.dimension as d, r.interval as i, r.bucket_start as b, r.value_key as key
    from jsonb_to_recordset(${sql.json(headerRows)}) as x(t uuid, p uuid, y text, d text, i text, b timestamptz)
    join dimension_rollups r on r.tenant_id = x.t and r.project_id = x.p and r.event_type = x.y and r.dimension = x.d
      and r.interval = x.i and r.bucket_start = x.b
    where r.metric = 'count' and r.value_key <> '$none' and r.value_key <> '$other'`;
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
  const evicted: { t: string; p: string; y: string; d: string; i: string; b: string; k: string }[] = [];
  for (const [id, h] of headers) {
    const before = keptOf.get(id) ?? new Set<string>();
    const all = [...new Set([...before, ...(incomingOf.get(id) ?? [])])].sort(byBytes);
    const stays = new Set(all.slice(0, kOf.get(`${h.t}\u0000${h.p}\u0000${h.y}\u0000${h.d}`)!));
    staysOf.set(id, stays);
    for (const k of before) if (!stays.has(k)) evicted.push({ ...h, k });
  }

  // 5. Kept values pushed past K move their amounts into '$other' (exact: amounts add).
  if (evicted.length > 0) {
    evicted.sort((a, b) => byBytes(headerId(a) + '\u0000' + a.k, headerId(b) + '\u0000' + b.k));
    await sql`
      with ev as (
        select x.t, x.p, x.y, x.d, x.i, x.b, x.k from jsonb_to_recordset(${sql.json(evicted)}) as x(t uuid, p uuid, y text, d text, i text, b timestamptz, k text)
      ), del as (
        delete from dimension_rollups r using ev
        where r.tenant_id = ev.t and r.project_id = ev.p and r.event_type = ev.y and r.dimension = ev.d and r.interval = ev.i
          and r.bucket_start = ev.b and r.value_key = ev.k
        returning r.tenant_id, r.project_id, r.event_type, r.dimension, r.interval, r.bucket_start, r.metric, r.amount
      )
      insert into dimension_rollups as r (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric, value, amount)
      select tenant_id, project_id, event_type, dimension, interval, bucket_start, '$other', metric, '$other', sum(amount)
      from del group by tenant_id, project_id, event_type, dimension, interval, bucket_start, metric
      order by tenant_id, project_id, event_type, dimension, interval, bucket_start, metric
      on conflict (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric)
      do update set amount = r.amount + excluded.amount`;
  }

  // 6. The batch's amounts: into their value when it stays, else into '$other'; merged per row, in key order.
  const out = new Map<string, Increment & { parts: string[] }>();
  for (const r of increments) {
    const stays = r.key === '$none' || staysOf.get(headerId(r))!.has(r.key);
    const key = stays ? r.key : '$other';
    const value = stays ? r.value : '$other';
    const id = `${headerId(r)}\u0000${key}\u0000${r.metric}`;
    const seen = out.get(id);
    if (seen) seen.parts.push(r.amount);
    else out.set(id, { ...r, key, value, parts: [r.amount] });
  }
  const writes = [...out.values()].map(({ parts, ...r }) => ({ ...r, amount: addDecimals(parts) }));
  await sql`
    insert into dimension_rollups as r (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric, value, amount)
    select x.t, x.p, x.y, x.d, x.i, x.b, x.key, x.metric, x.value, x.amount::numeric
    from jsonb_to_recordset(${sql.json(writes)}) as x(t uuid, p uuid, y text, d text, i text, b timestamptz, key text, metric text, value text, amount text)
    order by x.t, x.p, x.y collate "C", x.d collate "C", x.i collate "C", x.b, x.key collate "C", x.metric collate "C"
    on conflict (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric)
    do update set amount = r.amount + excluded.amount`;
}

/**
 * Rebuild (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools): replaces the tenant's dimension rows of
 * `intervals` in [from, to) in the rebuild chunk's transaction (tenant lock exclusive). 10s, 1m and 5m rows from the
 * raw events under the same K rule (date_bin from the epoch: 5 min divides every time-zone offset), then 1h and 1d
 * rows regrouped from the 5m ones (regroupDimensionsFrom5m), over UTC buckets here; a tenant time zone only changes
 * the spans given to it.
 */
export async function rebuildDimensions(
  tx: Sql,
  q: { tenantId: string; intervals: readonly Interval[]; from: Date; to: Date },
): Promise<void> {
  const fine = q.intervals.filter((i) => i === '10s' || i === '1m' || i === '5m');
  if (fine.length > 0) await dimensionsFromRaw(tx, { ...q, intervals: fine });
  for (const interval of q.intervals.filter((i): i is '1h' | '1d' => i === '1h' || i === '1d')) {
    const spans: { startMs: number; endMs: number }[] = [];
    const width = INTERVAL_MS[interval];
    for (let t = Math.floor(q.from.getTime() / width) * width; t < q.to.getTime(); t += width)
      spans.push({ startMs: t, endMs: t + width });
    await regroupDimensionsFrom5m(tx, { tenantId: q.tenantId, interval, spans });
  }
}

/** Dimension rows of `intervals` in [from, to) recomputed from raw events: the K rule as a row_number() in SQL. */
async function dimensionsFromRaw(
  tx: Sql,
  q: { tenantId: string; intervals: readonly Interval[]; from: Date; to: Date },
): Promise<void> {
  const ivs = tx.array([...q.intervals]);
  for (const table of ['dimension_rollups', 'dimension_buckets'] as const) {
    await tx`
      delete from ${tx(table)} where tenant_id = ${q.tenantId} and interval = any(${ivs}::text[])
        and bucket_start >= ${q.from} and bucket_start < ${q.to}`;
  }
  const strides = tx.json(q.intervals.map((i) => ({ i, ms: INTERVAL_MS[i] })));
  const s = tx`x.s`;
  await tx`
    with dims as (
      select project_id as p, event_type as y, dimension as d, max_values as k from event_dimensions where tenant_id = ${q.tenantId}
    ), iv as (
      select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${strides}) as iv(i text, ms bigint)
    ), x as (
      select dims.p, dims.y, dims.d, dims.k, iv.i, date_bin(iv.stride, e.ts, timestamptz 'epoch') as b,
             ${seriesValueSql(tx, tx`(e.properties -> dims.d)`)} as s, e.properties
      from events e join dims on e.project_id = dims.p and e.event_type = dims.y cross join iv
      where e.tenant_id = ${q.tenantId} and e.ts >= ${q.from} and e.ts < ${q.to}
    ), kx as (select x.*, ${valueKeySql(tx, s)} as key from x),
    ranked as (
      select p, y, d, i, b, key, s,
             case when key = '$none' then '$none'
                  when row_number() over (partition by p, y, d, i, b, key = '$none' order by key) <= min(k) then key
                  else '$other' end as kk
      from kx group by p, y, d, i, b, key, s
    ), m as (
      select kx.p, kx.y, kx.d, kx.i, kx.b, r.kk, case when r.kk = '$other' then '$other' else kx.s end as v, kx.properties
      from kx join ranked r using (p, y, d, i, b, key)
    ), agg as (
      select p, y, d, i, b, kk, v, 'count' as metric, count(*)::numeric as amount from m group by 1, 2, 3, 4, 5, 6, 7
      union all
      select m.p, m.y, m.d, m.i, m.b, m.kk, m.v, 'sum:' || j.k, sum((m.properties -> j.k)::numeric)
      from m cross join lateral jsonb_object_keys(m.properties) as j(k)
      where jsonb_typeof(m.properties -> j.k) = 'number' and j.k <> '' and strpos(j.k, '.') = 0
      group by 1, 2, 3, 4, 5, 6, 7, 8
      union all
      select m.p, m.y, m.d, m.i, m.b, m.kk, m.v, 'n:' || j.k, count(*)::numeric
      from m cross join lateral jsonb_object_keys(m.properties) as j(k)
      where jsonb_typeof(m.properties -> j.k) = 'number' and j.k <> '' and strpos(j.k, '.') = 0
      group by 1, 2, 3, 4, 5, 6, 7, 8
    ), headers as (
      insert into dimension_buckets (tenant_id, project_id, event_type, dimension, interval, bucket_start)
      select distinct ${q.tenantId}::uuid, p, y, d, i, b from agg order by 2, 3, 4, 5, 6
      returning 1
    )
    insert into dimension_rollups (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric, value, amount)
    select ${q.tenantId}::uuid, p, y, d, i, b, kk, metric, v, amount from agg order by 2, 3, 4, 5, 6, 7, 8`;
}

/**
 * Regroups a tenant's 1h or 1d dimension rows from its 5m rows, for buckets given as [startMs, endMs) spans (their
 * bucketing is the caller's: UTC, or a tenant time zone once 1h/1d follow one; 5 min divides every zone offset).
 * Exact: a value among the K smallest md5 of a span's values is among the K smallest of every 5m bucket it occurs
 * in, so its 5m rows hold all its events; the span keeps the K smallest value keys of its 5m rows, and '$other'
 * gets the 5m '$other' amounts plus every value not kept. The result equals what live writes in that bucketing give.
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
  for (const table of ['dimension_rollups', 'dimension_buckets'] as const) {
    await tx`
      delete from ${tx(table)} t using jsonb_to_recordset(${spans}) as x(s timestamptz, e timestamptz)
      where t.tenant_id = ${q.tenantId} and t.interval = ${q.interval} and t.bucket_start >= x.s and t.bucket_start < x.e`;
  }
  await tx`
    with fine as (
      select r.project_id as p, r.event_type as y, r.dimension as d, x.s as b, r.value_key as key, r.value as v, r.metric, r.amount
      from dimension_rollups r join jsonb_to_recordset(${spans}) as x(s timestamptz, e timestamptz)
        on r.bucket_start >= x.s and r.bucket_start < x.e
      where r.tenant_id = ${q.tenantId} and r.interval = '5m'
    ), keys as (
      select f.p, f.y, f.d, f.b, f.key,
             row_number() over (partition by f.p, f.y, f.d, f.b order by f.key collate "C") as rn
      from (select distinct p, y, d, b, key from fine where key <> '$none' and key <> '$other') f
    ), mapped as (
      select f.p, f.y, f.d, f.b,
             case when f.key in ('$none', '$other') then f.key when k.rn <= dim.max_values then f.key else '$other' end as kk,
             case when f.key in ('$none', '$other') or k.rn <= dim.max_values then f.v else '$other' end as vv,
             f.metric, f.amount
      from fine f
      join event_dimensions dim on dim.tenant_id = ${q.tenantId} and dim.project_id = f.p and dim.event_type = f.y and dim.dimension = f.d
      left join keys k using (p, y, d, b, key)
    ), agg as (
      select p, y, d, b, kk, min(vv) as vv, metric, sum(amount) as amount from mapped group by p, y, d, b, kk, metric
    ), headers as (
      insert into dimension_buckets (tenant_id, project_id, event_type, dimension, interval, bucket_start)
      select distinct ${q.tenantId}::uuid, p, y, d, ${q.interval}, b from agg order by 2, 3, 4, 6
      returning 1
    )
    insert into dimension_rollups (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric, value, amount)
    select ${q.tenantId}::uuid, p, y, d, ${q.interval}, b, kk, metric, vv, amount from agg order by 2, 3, 4, 6, 7, 8`;
}

/**
 * After `customersignal rebuild` recomputed every bucket of a tenant in [from, to) (days without raw events or rollups
 * hold nothing to miss): a dimension's rollups are complete from `from` when the range reaches its complete_from, or
 * reaches past every event aggregated before the declaration (stamped at most maxFutureSkewMs + 1 min after it).
 */
export async function extendDimensionCoverage(
  sql: Sql,
  q: { tenantId: string; fromMs: number; toMs: number; maxFutureSkewMs: number },
): Promise<void> {
  const from = new Date(q.fromMs);
  const to = new Date(q.toMs);
  await sql`
    update event_dimensions set complete_from = ${from}
    where tenant_id = ${q.tenantId} and complete_from > ${from}
      and (complete_from <= ${to} or declared_at + (${q.maxFutureSkewMs + 60_000}::bigint || ' milliseconds')::interval <= ${to})`;
}

/** The declared dimensions of an event type in the given projects, with their complete_from. */
export async function readDimensionDeclarations(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; eventType: string },
): Promise<DimensionDeclaration[]> {
  if (q.projectIds.length === 0) return [];
  const rows = await sql<{ projectId: string; dimension: string; completeFrom: Date }[]>`
    select project_id as "projectId", dimension, complete_from as "completeFrom" from event_dimensions
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = ${q.eventType}`;
  return rows.map((r) => ({
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
  const gone = await tx<{ dimension: string }[]>`
    delete from event_dimensions
    where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType}
      and not (dimension = any(${tx.array(d.dimensions)}::text[]))
    returning dimension`;
  if (gone.length > 0) {
    const names = tx.array(gone.map((g) => g.dimension));
    for (const table of ['dimension_rollups', 'dimension_buckets'] as const) {
      await tx`
        delete from ${tx(table)} where tenant_id = ${d.tenantId} and project_id = ${d.projectId}
          and event_type = ${d.eventType} and dimension = any(${names}::text[])`;
    }
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
