// The exactly-once-effect write of a batch (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect, 2b–2d) and the read-back of touched buckets.
import { bindSql, type Sql } from './client';
import { lockTenantsShared } from './rollup-lock';
import type { RawEvent } from '../../core/raw-event';
import {
  utcBucketOf,
  type BucketOf,
  preAggregatedProperties,
  ROLLUP_INTERVALS,
  type RollupDelta,
  type RollupKey,
  type RollupMetric,
  type RollupValue,
} from '../../core/rollups';
import { bucketStart, INTERVAL_MS, type Interval } from '../../core/intervals';
import { tenantBucketing, type TenantZone } from './tenant-zones';
import { addValue, emptySketch } from '../../core/quantile-sketch';
import { quantileKeyId, upsertQuantiles, type QuantileRow } from './quantile-store';
import { upsertDimensions } from './dimension-store';
import { recordPeople } from './people-store';

/** HLL parameters (log2m, regwidth, expthresh, sparseon) used for every sketch, stored or computed from raw rows. */
export const HLL_PARAMS = { log2m: 16, regwidth: 5, expthresh: -1, sparseon: 1 } as const;

export interface BatchWriteResult {
  /** Events stored for the first time; the rest were duplicates of earlier copies. */
  fresh: RawEvent[];
  /** The buckets the batch was written to (its tenants' zones as read under their rollup locks), for the read-back. */
  bucketOf: BucketOf;
  /** The batch's tenants' zones and zone generations, read with the same locks (for the Redis keys). */
  zones: ReadonlyMap<string, TenantZone>;
}

/**
 * In one transaction (holding the tenants' rollup locks shared, see rollup-lock.ts): record ids in the dedupe table (first copy wins), insert the new events into the raw
 * table, fold them into the rollups in sorted key order, and advance each tenant's progress.
 */
export async function writeBatch(
  sql: Sql,
  events: RawEvent[],
  planDeltas: (fresh: RawEvent[], bucketOf: BucketOf) => RollupDelta[],
  intervals: readonly Interval[] = ROLLUP_INTERVALS,
): Promise<BatchWriteResult> {
  if (events.length === 0) return { fresh: [], bucketOf: utcBucketOf, zones: new Map() };
  return sql.begin(async (tx) => {
    // No JIT: every statement here reads one batch, and function scans' default estimates (100 rows each) can push
    // a plan past jit_above_cost, where compiling it takes longer than running it.
    await tx`select set_config('jit', 'off', true)`;
    await lockTenantsShared(
      tx as unknown as Sql,
      events.map((e) => e.tenantId),
    );
    const { bucketOf, zones } = await tenantBucketing(
      tx as unknown as Sql,
      events.map((e) => e.tenantId),
    );
    const inserted = await insertEventIds(tx as unknown as Sql, events);
    const refused = await refuseErased(tx as unknown as Sql, inserted);
    const isNew = new Set(inserted.map((r) => r.t + '\u0000' + r.e).filter((k) => !refused.has(k)));
    // delete() makes only the first copy of an id within the batch count as new.
    const fresh = events.filter((e) => isNew.delete(e.tenantId + '\u0000' + e.eventId));
    if (fresh.length > 0) {
      await insertRawEvents(tx as unknown as Sql, fresh);
      await recordPeople(tx as unknown as Sql, fresh);
      await upsertDeltas(tx as unknown as Sql, planDeltas(fresh, bucketOf));
      await upsertSumsAndSketches(tx as unknown as Sql, fresh, intervals, bucketOf);
      await upsertQuantiles(tx as unknown as Sql, quantileRows(fresh, intervals, bucketOf));
      await upsertDimensions(tx as unknown as Sql, fresh, intervals, bucketOf);
    }
    await advanceProgress(tx as unknown as Sql, events);
    return { fresh, bucketOf, zones };
  });
}

/**
 * The dedupe step (2b): records the batch's ids in event_ids, first copy wins; returns the ids inserted now. With
 * insertRawEvents, the one write every event needs (the raw-store limit of docs/benchmarks.md uses these two alone).
 */
export async function insertEventIds(sql: Sql, events: RawEvent[]): Promise<{ t: string; e: string }[]> {
  const ids = events.map((e) => ({ t: e.tenantId, e: e.eventId, ts: new Date(e.timestampMs).toISOString() }));
  return sql<{ t: string; e: string }[]>`
    insert into event_ids (tenant_id, event_id, event_ts)
    select r.t, r.e, r.ts from jsonb_to_recordset(${sql.json(ids)}) as r(t uuid, e text, ts timestamptz)
    order by r.t, r.e collate "C"
    on conflict do nothing
    returning tenant_id as t, event_id as e`;
}

/** The raw rows of events stored for the first time (2c), stamped stored_at after the rollup locks. */
export async function insertRawEvents(sql: Sql, fresh: RawEvent[]): Promise<void> {
  const rows = fresh.map((e) => ({
    t: e.tenantId,
    p: e.projectId,
    e: e.eventId,
    y: e.eventType,
    ts: new Date(e.timestampMs).toISOString(),
    r: new Date(e.receivedAtMs).toISOString(),
    u: e.userId,
    a: e.anonymousId ?? null,
    s: e.sessionId,
    props: e.properties,
    c: e.context,
  }));
  await sql`
    insert into events (tenant_id, project_id, event_id, event_type, ts, received_at, user_id, anonymous_id, session_id, properties, context, stored_at)
    select t, p, e, y, ts, r, u, a, s, props, c, clock_timestamp() -- after the rollup locks: the export's snapshot (docs/architecture.md#event-export)
    from jsonb_to_recordset(${sql.json(rows as never)}) as x(t uuid, p uuid, e text, y text, ts timestamptz, r timestamptz, u text, a text, s text, props jsonb, c jsonb)`;
}

/**
 * Erased events (docs/architecture.md#erasure) have no event_ids row, so a redelivered copy was just inserted as new:
 * its hashed id in erased_event_ids refuses it, and its event_ids row goes again. One statement, one index probe per
 * candidate-new id; nothing when the batch has none.
 */
async function refuseErased(sql: Sql, inserted: { t: string; e: string }[]): Promise<Set<string>> {
  if (inserted.length === 0) return new Set();
  const refused = await sql<{ t: string; e: string }[]>`
    delete from event_ids i
    using jsonb_to_recordset(${sql.json(inserted)}) as c(t uuid, e text), erased_event_ids x
    where x.tenant_id = c.t and x.id_hash = sha256(convert_to(c.e, 'UTF8')) and i.tenant_id = c.t and i.event_id = c.e
    returning i.tenant_id as t, i.event_id as e`;
  return new Set(refused.map((r) => r.t + '\u0000' + r.e));
}

async function upsertDeltas(sql: Sql, deltas: RollupDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  // Every writer inserts in the same (primary key) order, so concurrent batches and replays cannot deadlock.
  const rows = deltas.map((d) => ({
    t: d.tenantId,
    p: d.projectId,
    y: d.eventType,
    m: d.metric,
    i: d.interval,
    b: new Date(d.bucketMs).toISOString(),
    d: d.delta,
  }));
  await sql`
    insert into rollups as r (tenant_id, project_id, event_type, metric, interval, bucket_start, value, version)
    select x.t, x.p, x.y, x.m, x.i, x.b, x.d, rollup_next_version(null)
    from jsonb_to_recordset(${sql.json(rows)}) as x(t uuid, p uuid, y text, m text, i text, b timestamptz, d numeric)
    order by x.t, x.p, x.y collate "C", x.m collate "C", x.i collate "C", x.b
    on conflict (tenant_id, project_id, event_type, metric, interval, bucket_start)
    do update set value = r.value + excluded.value, version = rollup_next_version(r.version), updated_at = now()`;
}

/**
 * The new events' values per (tenant, project, event type, 10s bucket), as rebuild's rb_fine/rb_fine_sums hold them:
 * the group's distinct user ids and, per pre-aggregated property, the numbers as the events sent them (summed in
 * SQL, exactly). Every interval is a multiple of 10 s, so a group lands in exactly one bucket of every interval; its
 * zoned 1h/1d buckets come from bucketOf of the group's 10s start, as the count rollups' and the read-back's do.
 */
interface FineValues {
  t: string;
  p: string;
  y: string;
  b: string;
  bh: string;
  bd: string;
  u: string[];
  n: Record<string, number[]>;
}

function fineValues(fresh: RawEvent[], bucketOf: BucketOf): FineValues[] {
  // A property name is any text, `toString` and `__proto__` included: the numbers are kept in a Map, never in a
  // plain object whose inherited members a name could hit.
  const groups = new Map<
    string,
    { row: Omit<FineValues, 'u' | 'n'>; users: Set<string>; numbers: Map<string, number[]> }
  >();
  for (const e of fresh) {
    const props = preAggregatedProperties(e);
    if (e.userId === null && props.length === 0) continue;
    const b10 = bucketStart(e.timestampMs, '10s');
    const id = `${e.tenantId}\u0000${e.projectId}\u0000${e.eventType}\u0000${b10}`;
    let g = groups.get(id);
    if (!g) {
      const iso = (interval: Interval) => new Date(bucketOf(e.tenantId, b10, interval)).toISOString();
      const row = {
        t: e.tenantId,
        p: e.projectId,
        y: e.eventType,
        b: new Date(b10).toISOString(),
        bh: iso('1h'),
        bd: iso('1d'),
      };
      groups.set(id, (g = { row, users: new Set(), numbers: new Map() }));
    }
    if (e.userId !== null) g.users.add(e.userId);
    for (const k of props) {
      const list = g.numbers.get(k);
      if (list) list.push(e.properties[k] as number);
      else g.numbers.set(k, [e.properties[k] as number]);
    }
  }
  // Object.fromEntries defines own properties, so a name like `__proto__` is a key like any other in the JSON.
  return [...groups.values()].map(({ row, users, numbers }) => ({
    ...row,
    u: [...users],
    n: Object.fromEntries(numbers),
  }));
}

/**
 * One statement for the new events: `sum:<name>`/`n:<name>` rollups of their top-level JSON-number properties
 * (numeric, exact: the numbers go in as the same JSON text the raw table stores) and the unique-user sketches, both
 * from the batch's 10s groups (fineValues: the batch's events are sent once per group, not once per event). The
 * numbers are summed per group and property, then the groups' sums per interval and bucket (sums of sums: exact in
 * numeric, as rebuild's rb_fine_sums); each group's distinct user ids are hashed once and every key's sketch is
 * built with hll_add_agg and unioned into the stored one (hll is idempotent: a user counted once per group is the
 * same sketch). Both upserts run in sorted key order.
 */
async function upsertSumsAndSketches(
  sql: Sql,
  fresh: RawEvent[],
  intervals: readonly Interval[],
  bucketOf: BucketOf,
): Promise<void> {
  // 1h/1d buckets follow the tenant's zone (tenant-zones.ts): their starts come from bucketOf, computed here in
  // JavaScript like every other writer's, so rollups, sketches and quantiles of a batch agree to the instant.
  const rows = fineValues(fresh, bucketOf);
  if (rows.length === 0 || intervals.length === 0) return;
  const ivs = intervals.map((i) => ({ i, ms: INTERVAL_MS[i] }));
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  await sql`
    with g as (
      select g.t, g.p, g.y, g.b, g.bh, g.bd, g.u, g.n from jsonb_to_recordset(${sql.json(rows as never)}) as g(t uuid, p uuid, y text, b timestamptz, bh timestamptz, bd timestamptz, u text[], n jsonb)
    ), iv as (
      select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${sql.json(ivs)}) as iv(i text, ms bigint)
    ), gu as (
      -- each user id hashed once per group (hll_add_agg per key below: hll_union_agg copies its whole state per row)
      select g.t, g.p, g.y, g.b, g.bh, g.bd, hll_hash_text(u.u) as h from g cross join unnest(g.u) as u(u)
    ), gn as (
      -- each group's numbers parsed and summed once per property
      select g.t, g.p, g.y, g.b, g.bh, g.bd, kv.k,
             (select sum(v.v::numeric) from jsonb_array_elements(kv.vs) as v(v)) as s, jsonb_array_length(kv.vs)::numeric as c
      from g cross join lateral jsonb_each(g.n) as kv(k, vs)
    ), per_prop as (
      select gn.t, gn.p, gn.y, iv.i,
             case iv.i when '1h' then gn.bh when '1d' then gn.bd else date_bin(iv.stride, gn.b, timestamptz 'epoch') end as b,
             gn.k, sum(gn.s) as s, sum(gn.c) as c
      from gn cross join iv
      group by 1, 2, 3, 4, 5, 6
    ), sums as (
      insert into rollups as r (tenant_id, project_id, event_type, metric, interval, bucket_start, value, version)
      select g.t, g.p, g.y, mv.m, g.i, g.b, mv.val, rollup_next_version(null)
      from per_prop g cross join lateral (values ('sum:' || g.k, g.s), ('n:' || g.k, g.c)) as mv(m, val)
      order by g.t, g.p, g.y collate "C", mv.m collate "C", g.i collate "C", g.b
      on conflict (tenant_id, project_id, event_type, metric, interval, bucket_start)
      do update set value = r.value + excluded.value, version = rollup_next_version(r.version), updated_at = now()
      returning 1
    ), sketches as (
      insert into rollup_sketches as s (tenant_id, project_id, event_type, interval, bucket_start, sketch, version)
      select gu.t, gu.p, gu.y, iv.i,
             case iv.i when '1h' then gu.bh when '1d' then gu.bd else date_bin(iv.stride, gu.b, timestamptz 'epoch') end,
             hll_add_agg(gu.h, ${log2m}, ${regwidth}, ${expthresh}, ${sparseon}), rollup_next_version(null)
      from gu cross join iv
      group by 1, 2, 3, 4, 5
      order by gu.t, gu.p, gu.y collate "C", iv.i collate "C", 5
      on conflict (tenant_id, project_id, event_type, interval, bucket_start)
      do update set sketch = hll_union(s.sketch, excluded.sketch), version = rollup_next_version(s.version), updated_at = now()
        where hll_union(s.sketch, excluded.sketch) <> s.sketch
      returning 1
    )
    select (select count(*) from sums) as sums, (select count(*) from sketches) as sketches`;
}

/**
 * The percentile sketches of the new events (after dedupe, like the sums): one per (key, pre-aggregated property,
 * interval, bucket), over the same properties as the `sum:`/`n:` rollups (core/rollups.ts preAggregatedProperties).
 */
function quantileRows(fresh: RawEvent[], intervals: readonly Interval[], bucketOf: BucketOf): QuantileRow[] {
  const byKey = new Map<string, QuantileRow>();
  for (const e of fresh) {
    for (const path of preAggregatedProperties(e)) {
      const value = e.properties[path] as number;
      for (const interval of intervals) {
        const bucketMs = bucketOf(e.tenantId, e.timestampMs, interval);
        const k = { tenantId: e.tenantId, projectId: e.projectId, eventType: e.eventType, path, interval, bucketMs };
        const id = quantileKeyId(k);
        let row = byKey.get(id);
        if (!row) byKey.set(id, (row = { ...k, sketch: emptySketch() }));
        addValue(row.sketch, value);
      }
    }
  }
  return [...byKey.values()];
}

/** data_as_of: the newest receive time processed per tenant (never moves back). */
async function advanceProgress(sql: Sql, events: RawEvent[]): Promise<void> {
  const newest = new Map<string, number>();
  for (const e of events) newest.set(e.tenantId, Math.max(newest.get(e.tenantId) ?? 0, e.receivedAtMs));
  const rows = [...newest]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([t, ms]) => ({ t, at: new Date(ms).toISOString() }));
  await sql`
    insert into tenant_progress as p (tenant_id, processed_through)
    select x.t, x.at from jsonb_to_recordset(${sql.json(rows)}) as x(t uuid, at timestamptz) order by x.t
    on conflict (tenant_id) do update
      set processed_through = greatest(p.processed_through, excluded.processed_through), updated_at = now()`;
}

export interface RollupRow {
  tenantId: string;
  projectId: string;
  eventType: string;
  metric: RollupMetric;
  interval: Interval;
  bucketStart: Date;
  value: string;
  version: string;
}

export function toValue(r: RollupRow): RollupValue {
  return {
    tenantId: r.tenantId,
    projectId: r.projectId,
    eventType: r.eventType,
    metric: r.metric,
    interval: r.interval,
    bucketMs: r.bucketStart.getTime(),
    value: Number(r.value),
    text: r.value,
    version: Number(r.version),
  };
}

/** Current values of the given buckets (missing buckets are simply absent). */
export async function readRollups(sql: Sql, keys: RollupKey[]): Promise<RollupValue[]> {
  if (keys.length === 0) return [];
  const rows = keys.map((k) => ({
    t: k.tenantId,
    p: k.projectId,
    y: k.eventType,
    m: k.metric,
    i: k.interval,
    b: new Date(k.bucketMs).toISOString(),
  }));
  const found = await sql<RollupRow[]>`
    select r.tenant_id as "tenantId", r.project_id as "projectId", r.event_type as "eventType", r.metric, r.interval,
           r.bucket_start as "bucketStart", r.value::text as value, r.version::text as version
    from jsonb_to_recordset(${sql.json(rows)}) as x(t uuid, p uuid, y text, m text, i text, b timestamptz)
    join rollups r on r.tenant_id = x.t and r.project_id = x.p and r.event_type = x.y and r.metric = x.m
                  and r.interval = x.i and r.bucket_start = x.b`;
  return found.map(toValue);
}

/** Every stored bucket of one series in [from, to) for the given projects. */
export async function readSeries(
  sql: Sql,
  q: {
    tenantId: string;
    projectIds: string[];
    eventType: string;
    metric: RollupMetric;
    interval: Interval;
    fromMs: number;
    toMs: number;
  },
): Promise<RollupValue[]> {
  if (q.projectIds.length === 0) return [];
  const rows = await sql<RollupRow[]>`
    select tenant_id as "tenantId", project_id as "projectId", event_type as "eventType", metric, interval,
           bucket_start as "bucketStart", value::text as value, version::text as version
    from rollups
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[])
      and event_type = ${q.eventType} and metric = ${q.metric} and interval = ${q.interval}
      and bucket_start >= ${new Date(q.fromMs)} and bucket_start < ${new Date(q.toMs)}`;
  return rows.map(toValue);
}

const estimate = (sql: Sql) => sql`round(hll_cardinality(s.sketch))::bigint::text`;

/** Current unique-user estimates (metric unique_users) of the given buckets, versioned by their sketch row. */
export async function readSketchEstimates(sql: Sql, keys: RollupKey[]): Promise<RollupValue[]> {
  if (keys.length === 0) return [];
  const rows = keys.map((k) => ({
    t: k.tenantId,
    p: k.projectId,
    y: k.eventType,
    i: k.interval,
    b: new Date(k.bucketMs).toISOString(),
  }));
  const found = await sql<RollupRow[]>`
    select s.tenant_id as "tenantId", s.project_id as "projectId", s.event_type as "eventType", 'unique_users' as metric, s.interval,
           s.bucket_start as "bucketStart", ${estimate(sql)} as value, s.version::text as version
    from jsonb_to_recordset(${sql.json(rows)}) as x(t uuid, p uuid, y text, i text, b timestamptz)
    join rollup_sketches s on s.tenant_id = x.t and s.project_id = x.p and s.event_type = x.y and s.interval = x.i and s.bucket_start = x.b`;
  return found.map(toValue);
}

/** Unique-user estimates of one series per project, in [from, to). */
export async function readSketchSeries(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; eventType: string; interval: Interval; fromMs: number; toMs: number },
): Promise<RollupValue[]> {
  if (q.projectIds.length === 0) return [];
  const rows = await sql<RollupRow[]>`
    select s.tenant_id as "tenantId", s.project_id as "projectId", s.event_type as "eventType", 'unique_users' as metric, s.interval,
           s.bucket_start as "bucketStart", ${estimate(sql)} as value, s.version::text as version
    from rollup_sketches s
    where s.tenant_id = ${q.tenantId} and s.project_id = any(${sql.array(q.projectIds)}::uuid[])
      and s.event_type = ${q.eventType} and s.interval = ${q.interval}
      and s.bucket_start >= ${new Date(q.fromMs)} and s.bucket_start < ${new Date(q.toMs)}`;
  return rows.map(toValue);
}

/**
 * Unique users over several projects: the estimate of the union of their sketches per bucket (estimates cannot
 * be added), with each project's sketch version read in the same snapshot (absent: no sketch yet, version 0).
 */
export async function readSketchUnion(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; eventType: string; interval: Interval; fromMs: number; toMs: number },
): Promise<{ bucketMs: number; value: number; versions: Record<string, number> }[]> {
  if (q.projectIds.length === 0) return [];
  const rows = await sql<{ bucketStart: Date; value: string; versions: Record<string, number> }[]>`
    select s.bucket_start as "bucketStart", round(hll_cardinality(hll_union_agg(s.sketch)))::bigint::text as value,
           jsonb_object_agg(s.project_id, s.version) as versions
    from rollup_sketches s
    where s.tenant_id = ${q.tenantId} and s.project_id = any(${sql.array(q.projectIds)}::uuid[])
      and s.event_type = ${q.eventType} and s.interval = ${q.interval}
      and s.bucket_start >= ${new Date(q.fromMs)} and s.bucket_start < ${new Date(q.toMs)}
    group by s.bucket_start`;
  return rows.map((r) => ({ bucketMs: r.bucketStart.getTime(), value: Number(r.value), versions: r.versions }));
}

export async function readProgress(sql: Sql, tenantId: string): Promise<Date | null> {
  const [row] = await sql<
    { at: Date }[]
  >`select processed_through as at from tenant_progress where tenant_id = ${tenantId}`;
  return row?.at ?? null;
}

/** The aggregate step's write and its read-back of the touched buckets (Adapters.aggregateStore), with the process's client. */
export const createAggregateStore = (sql: Sql) => bindSql(sql, { writeBatch, readRollups, readSketchEstimates });
export type AggregateStore = ReturnType<typeof createAggregateStore>;
