// Erasure and access in Postgres (docs/architecture.md#erasure): erasure jobs, the erasure step (raw events,
// dedupe ids, distinct ids, traits and merges of a person in one transaction), the hashed ids of erased events, and
// the reads of GET /v1/users/{id}/export, and the recomputation of the cells the erased events touched.
import type postgres from 'postgres';
import { bindSql, type Sql } from './client';
import { appendAudit } from './audit-log-store';
import { lockTenantExclusive } from './rollup-lock';
import { HLL_PARAMS, toValue, type RollupRow } from './aggregate-store';
import { rebuildDimensions } from './dimension-store';
import { insertCollapsedQuantiles, insertQuantileBins } from './quantile-sql';
import { tenantZones } from './tenant-zones';
import { INTERVAL_MS, type Interval } from '../../core/intervals';
import { withZoneGenerations, type RollupValue } from '../../core/rollups';
import { UTC_ZONE } from '../../core/timezone';
import type { AuditEntry } from '../../core/audit-log';
import {
  MAX_ERASURE_ATTEMPTS,
  recomputeScope,
  type ErasureJob,
  type ErasureRef,
  type ErasureStatus,
  type PersonEvent,
  type PersonRecord,
} from '../../core/erasure';

interface JobRow {
  tenantId: string;
  id: string;
  person: string;
  projectIds: string[];
  status: ErasureStatus;
  eventsErased: string | null;
  hours: Date[];
  days: Date[];
  attempts: number;
  error: string | null;
  requestedAt: Date;
  finishedAt: Date | null;
}

const toJob = (r: JobRow): ErasureJob => ({
  tenantId: r.tenantId,
  id: r.id,
  person: r.person,
  projectIds: r.projectIds,
  status: r.status,
  eventsErased: r.eventsErased === null ? null : Number(r.eventsErased),
  hours: r.hours.map((d) => d.getTime()),
  days: r.days.map((d) => d.getTime()),
  attempts: r.attempts,
  error: r.error,
  requestedAtMs: r.requestedAt.getTime(),
  finishedAtMs: r.finishedAt?.getTime() ?? null,
});

const jobColumns = (sql: Sql) => sql`
  tenant_id as "tenantId", id, person, project_ids as "projectIds", status, events_erased::text as "eventsErased",
  hours, days, attempts, error, requested_at as "requestedAt", finished_at as "finishedAt"`;

const CHUNK = 10_000;

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * The distinct ids of the person `id` belongs to, per project: every id whose person_id is the person's (migration
 * 021), the person id itself and `id` (an id with no distinct_ids row is its own person).
 */
export async function personIds(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; id: string },
): Promise<Map<string, string[]>> {
  const rows = await sql<{ p: string; person: string; d: string | null }[]>`
    with own as (
      select a.p, coalesce(d.person_id, ${q.id}) as person
      from unnest(${sql.array(q.projectIds)}::uuid[]) as a(p)
      left join distinct_ids d on d.tenant_id = ${q.tenantId} and d.project_id = a.p and d.distinct_id = ${q.id}
    )
    select o.p, o.person, x.distinct_id as d
    from own o left join distinct_ids x on x.tenant_id = ${q.tenantId} and x.project_id = o.p and x.person_id = o.person`;
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const ids = out.get(r.p) ?? new Set([q.id, r.person]);
    if (r.d !== null) ids.add(r.d);
    out.set(r.p, ids);
  }
  return new Map([...out].map(([p, ids]) => [p, [...ids].sort()]));
}

/** (project, distinct id) pairs as one jsonb parameter, for jsonb_to_recordset(...) as t(p uuid, d text). */
const targetJson = (sql: Sql, ids: Map<string, string[]>) =>
  sql.json([...ids].flatMap(([p, list]) => list.map((d) => ({ p, d }))));

export async function personExists(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; id: string },
): Promise<boolean> {
  const target = targetJson(sql, await personIds(sql, q));
  const [row] = await sql<{ found: boolean }[]>`
    with t as (select * from jsonb_to_recordset(${target}) as t(p uuid, d text))
    select exists (select 1 from t join distinct_ids x on x.tenant_id = ${q.tenantId} and x.project_id = t.p and x.distinct_id = t.d)
        or exists (select 1 from t join persons x on x.tenant_id = ${q.tenantId} and x.project_id = t.p and x.person_id = t.d)
        or exists (select 1 from t cross join lateral (
             select 1 from events e where e.tenant_id = ${q.tenantId} and e.user_id = t.d and e.project_id = t.p limit 1) as e)
       as found`;
  return row!.found;
}

export async function requestErasure(
  sql: Sql,
  job: { tenantId: string; id: string; person: string; projectIds: string[]; requestedBy: string; nowMs: number },
  audit: (jobId: string) => AuditEntry,
): Promise<{ job: ErasureJob; created: boolean }> {
  const projects = [...job.projectIds].sort();
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    // Two requests for the same person at once: one job.
    await tx`select pg_advisory_xact_lock(hashtextextended('customersignal.erasure-request:' || ${job.tenantId}::text || ':' || ${job.person}, 0))`;
    const [open] = await tx<JobRow[]>`
      select ${jobColumns(tx)} from erasure_jobs
      where tenant_id = ${job.tenantId} and person = ${job.person} and project_ids = ${tx.array(projects)}::uuid[]
        and status in ('pending', 'running')
      order by requested_at limit 1`;
    if (open) return { job: toJob(open), created: false };
    const [row] = await tx<JobRow[]>`
      insert into erasure_jobs (tenant_id, id, person, project_ids, requested_by, status, requested_at)
      values (${job.tenantId}, ${job.id}, ${job.person}, ${tx.array(projects)}::uuid[], ${job.requestedBy}, 'pending', ${new Date(job.nowMs)})
      returning ${jobColumns(tx)}`;
    await appendAudit(tx, audit(job.id));
    return { job: toJob(row!), created: true };
  }) as Promise<{ job: ErasureJob; created: boolean }>;
}

export async function getJob(sql: Sql, ref: ErasureRef): Promise<ErasureJob | null> {
  const [row] = await sql<JobRow[]>`
    select ${jobColumns(sql)} from erasure_jobs where tenant_id = ${ref.tenantId} and id = ${ref.id}`;
  return row ? toJob(row) : null;
}

export async function openJobs(sql: Sql, limit: number): Promise<ErasureRef[]> {
  return sql<ErasureRef[]>`
    select tenant_id as "tenantId", id from erasure_jobs
    where status in ('pending', 'running') order by requested_at, id limit ${limit}`;
}

/**
 * `fn` under the job's session advisory lock, on a connection reserved for it: a runner that dies loses its
 * connection and with it the lock, so the next maintenance run takes the job over. Null when another runner has it.
 */
export async function withRunLock<T>(sql: Sql, ref: ErasureRef, fn: () => Promise<T>): Promise<T | null> {
  const conn = await sql.reserve();
  const key = `customersignal.erasure:${ref.tenantId}:${ref.id}`;
  try {
    const [row] = await conn<{ got: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${key}, 0)) as got`;
    if (!row!.got) return null;
    try {
      return await fn();
    } finally {
      await conn`select pg_advisory_unlock(hashtextextended(${key}, 0))`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

/**
 * The erasure step (see ErasureStore.erase). Events are found by their distinct id (events.user_id) through the
 * (tenant_id, user_id, ts) index; the cells they fell in come from the deleted rows themselves, so an event of the
 * person written between the request and this step is erased and recomputed too. The counts and sums of those cells
 * are decremented by exactly what the deleted rows added (10s, 1m, 5m, and 1h for a UTC tenant; 1d and a zoned
 * tenant's 1h are regrouped by the job's days), in this transaction and under the tenant's exclusive rollup lock,
 * taken first (as a live batch takes its shared lock before its rows), so no live write and no rebuild interleaves
 * and no retry can decrement twice. The cells go to erasure_cells (migration 025) for the job's sketch recomputation.
 */
export async function eraseStep(sql: Sql, ref: ErasureRef, nowMs: number): Promise<ErasureJob> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const [job] = await tx<JobRow[]>`
      select ${jobColumns(tx)} from erasure_jobs where tenant_id = ${ref.tenantId} and id = ${ref.id} for update`;
    if (!job) throw new Error(`erasure job ${ref.id} does not exist`);
    if (job.status !== 'pending') return toJob(job);
    await lockTenantExclusive(tx, ref.tenantId);
    const zone = (await tenantZones(tx, [ref.tenantId])).get(ref.tenantId)!;
    const ids = await personIds(tx, { tenantId: ref.tenantId, projectIds: job.projectIds, id: job.person });
    const target = targetJson(tx, ids);
    await tx`
      create temp table er_target (p uuid, d text, primary key (p, d)) on commit drop;
      create temp table er_delta (p uuid, y text collate "C", m text collate "C", b timestamptz, v numeric) on commit drop`.simple();
    await tx`insert into er_target select * from jsonb_to_recordset(${target}) as t(p uuid, d text) on conflict do nothing`;
    await tx`analyze er_target`;
    // Raw events: gone, their ids hashed (so a redelivery is refused) and out of the dedupe table; what they added to
    // each 10s cell (count, and sum:/n: of top-level numbers as core/rollups.ts preAggregatedProperties counts them)
    // kept for the decrement.
    const hours = await tx<{ h: Date; n: string }[]>`
      with gone as (
        delete from events e using er_target t
        where e.tenant_id = ${ref.tenantId} and e.user_id = t.d and e.project_id = t.p
        returning e.event_id, e.ts, e.project_id, e.event_type, e.properties
      ), hashed as (
        insert into erased_event_ids (tenant_id, id_hash, event_ts)
        select ${ref.tenantId}, sha256(convert_to(g.event_id, 'UTF8')), g.ts from gone g
        on conflict do nothing
      ), dedupe as (
        delete from event_ids i using gone g where i.tenant_id = ${ref.tenantId} and i.event_id = g.event_id
      ), nums as (
        select x.project_id, x.event_type, x.b, x.k, (x.properties -> x.k)::numeric as v
        from (
          select g.project_id, g.event_type, date_bin('10 seconds', g.ts, timestamptz 'epoch') as b, g.properties,
                 jsonb_object_keys(g.properties) as k
          from gone g
        ) as x
        where jsonb_typeof(x.properties -> x.k) = 'number' and x.k <> '' and strpos(x.k, '.') = 0
      ), deltas as (
        insert into er_delta (p, y, m, b, v)
        select project_id, event_type, 'count', date_bin('10 seconds', ts, timestamptz 'epoch'), count(*) from gone group by 1, 2, 4
        union all
        select project_id, event_type, 'sum:' || k, b, sum(v) from nums group by 1, 2, 3, 4
        union all
        select project_id, event_type, 'n:' || k, b, count(*) from nums group by 1, 2, 3, 4
      )
      select date_bin('1 hour', ts, timestamptz 'epoch') as h, count(*)::text as n from gone group by 1`;
    const strides = tx.json(
      (['10s', '1m', '5m', ...(zone.zone === UTC_ZONE ? ['1h' as const] : [])] as const).map((i) => ({
        i,
        ms: INTERVAL_MS[i],
      })),
    );
    // Every bucket that counted the events loses exactly what they added; a bucket left empty stays at zero with a
    // higher version (as a rebuild leaves it). Rows retention already deleted (10s) are simply not there.
    await tx`
      with iv as (select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${strides}) as iv(i text, ms bigint)),
      d as (
        select d.p, d.y, d.m, iv.i, date_bin(iv.stride, d.b, timestamptz 'epoch') as b, sum(d.v) as v
        from er_delta d cross join iv group by 1, 2, 3, 4, 5
      )
      update rollups r set value = r.value - d.v, version = rollup_next_version(r.version)
      from d
      where r.tenant_id = ${ref.tenantId} and r.project_id = d.p and r.event_type = d.y and r.metric = d.m
        and r.interval = d.i and r.bucket_start = d.b`;
    await tx`
      insert into erasure_cells (tenant_id, job_id, bucket_start, project_id, event_type, numbers)
      select ${ref.tenantId}, ${ref.id}, b, p, y, bool_or(m like 'n:%') from er_delta group by b, p, y
      on conflict do nothing`;
    // Other persons' events that carried one of the ids as their anonymous id (a refused merge, logged in
    // identity_merges with the event's id and time) keep the event without the id.
    await tx`
      update events e set anonymous_id = null
      from identity_merges m join er_target t on t.p = m.project_id and (m.from_id = t.d or m.into_id = t.d)
      where m.tenant_id = ${ref.tenantId} and e.tenant_id = ${ref.tenantId} and e.ts = m.ts and e.event_id = m.event_id
        and e.anonymous_id in (select d from er_target where p = e.project_id)`;
    await tx`
      delete from identity_merges m using er_target t
      where m.tenant_id = ${ref.tenantId} and m.project_id = t.p and m.from_id = t.d`;
    await tx`
      delete from identity_merges m using er_target t
      where m.tenant_id = ${ref.tenantId} and m.project_id = t.p and m.into_id = t.d`;
    const gone = await tx`
      delete from distinct_ids d using er_target t
      where d.tenant_id = ${ref.tenantId} and d.project_id = t.p and d.distinct_id = t.d`;
    await tx`
      delete from persons x using er_target t
      where x.tenant_id = ${ref.tenantId} and x.project_id = t.p and x.person_id = t.d`;
    const scope = recomputeScope(hours.map((r) => r.h.getTime()));
    const events = hours.reduce((n, r) => n + Number(r.n), 0);
    const [row] = await tx<JobRow[]>`
      update erasure_jobs set status = 'running', events_erased = ${events}, ids_erased = ${gone.count},
        hours = ${tx.array(scope.hours.map((h) => new Date(h).toISOString()))}::timestamptz[],
        days = ${tx.array(scope.days.map((d) => new Date(d).toISOString()))}::timestamptz[],
        started_at = ${new Date(nowMs)}, error = null
      where tenant_id = ${ref.tenantId} and id = ${ref.id}
      returning ${jobColumns(tx)}`;
    return toJob(row!);
  }) as Promise<ErasureJob>;
}

/**
 * The recomputation of a chunk of erased hours (see ErasureStore.recomputeHours), one transaction under the tenant's
 * exclusive rollup lock. Only the cells the erased events touched (erasure_cells of those hours): the unique-user
 * sketches of their 10s (in the hours that keep 10s buckets) and 1m buckets from the raw rows of those (project,
 * type, minute)s, then their 5m buckets as the union of the 1m rows and, for a UTC tenant, their 1h buckets as the
 * union of the 5m rows (an HLL union is exact, as rebuildDay's 1d from 1h); the percentile sketches of the (project,
 * type, hour)s whose erased events had numbers, from those raw rows, as rebuildHour computes them; the declared
 * dimensions of each hour as rebuild does (when the tenant declared any). Every replaced row gets a higher version.
 * Returns the current values of every touched cell (counts and sums as the erasure step left them, the new
 * estimates) for the version-guarded Redis refresh. Idempotent.
 */
export async function recomputeHours(
  sql: Sql,
  ref: ErasureRef,
  q: { hoursMs: number[]; tenSecondHoursMs: number[] },
): Promise<RollupValue[]> {
  const T = ref.tenantId;
  const hours = hourTexts(q.hoursMs);
  const tenSecond = hourTexts(q.tenSecondHoursMs);
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  if (hours.length === 0) return [];
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await lockTenantExclusive(tx, T);
    const zone = (await tenantZones(tx, [T])).get(T)!;
    // A zoned tenant's 1h buckets are not UTC hours: its days regroup them (rebuildDay).
    const utc = zone.zone === UTC_ZONE;
    await tx`
      set local work_mem = '64MB';
      set local enable_memoize = off;
      set local jit = off;
      create temp table er_cells (p uuid, y text collate "C", b timestamptz, numbers boolean) on commit drop;
      create temp table er_fine (p uuid, y text collate "C", b timestamptz, sk hll) on commit drop;
      create temp table er_touched (p uuid, y text collate "C", i text collate "C", b timestamptz, primary key (p, y, i, b)) on commit drop;
      create temp table er_fine_q (p uuid, y text collate "C", b timestamptz, k text collate "C", bin int, c bigint, lo float8, hi float8) on commit drop;
      create temp table er_new_q (p uuid, y text collate "C", k text collate "C", i text collate "C", b timestamptz, cnt bigint, lo float8, hi float8,
                                  bins int[], counts bigint[]) on commit drop;
      create temp table er_old_q (p uuid, y text collate "C", k text collate "C", i text collate "C", b timestamptz, version bigint) on commit drop`.simple();
    const cells = await tx`
      insert into er_cells
      select project_id, event_type, bucket_start, numbers from erasure_cells
      where tenant_id = ${T} and job_id = ${ref.id}
        and date_bin('1 hour', bucket_start, timestamptz 'epoch') = any(${tx.array(hours)}::timestamptz[])`;
    if (cells.count === 0) return [];
    const all = tx.json(
      (['10s', '1m', '5m', '1h'] as const).filter((i) => i !== '1h' || utc).map((i) => ({ i, ms: INTERVAL_MS[i] })),
    );
    await tx`
      insert into er_touched (p, y, i, b)
      select distinct c.p, c.y, iv.i, date_bin((iv.ms || ' milliseconds')::interval, c.b, timestamptz 'epoch')
      from er_cells c cross join jsonb_to_recordset(${all}) as iv(i text, ms bigint)`;
    await tx`analyze er_touched`;
    // The remaining raw rows of each touched (project, type, minute), per 10s bucket with users (rebuild's rb_fine).
    await tx`
      insert into er_fine (p, y, b, sk)
      select e.project_id, e.event_type, date_bin('10 seconds', e.ts, timestamptz 'epoch'),
             hll_add_agg(hll_hash_text(e.user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})
      from er_touched t
      join events e on e.tenant_id = ${T} and e.event_type = t.y and e.ts >= t.b and e.ts < t.b + interval '1 minute' and e.project_id = t.p
      where t.i = '1m' and e.user_id is not null
      group by 1, 2, 3`;
    const rows: RollupRow[] = [];
    // One interval's sketches: `fresh` gives (p, y, b, sk) for every touched bucket, sk null when no user is left.
    // Existing rows are replaced (an emptied one kept as the empty sketch, as a rebuild keeps it); missing ones inserted.
    const put = async (interval: Interval, fresh: Fragment) => {
      rows.push(
        ...(await tx<RollupRow[]>`
        with n as (${fresh}),
        up as (
          update rollup_sketches s set sketch = coalesce(n.sk, hll_empty(${log2m}, ${regwidth}, ${expthresh}, ${sparseon})),
                 version = rollup_next_version(s.version)
          from n
          where s.tenant_id = ${T} and s.project_id = n.p and s.event_type = n.y and s.interval = ${interval} and s.bucket_start = n.b
          returning s.project_id, s.event_type, s.bucket_start, s.sketch, s.version
        ), ins as (
          insert into rollup_sketches (tenant_id, project_id, event_type, interval, bucket_start, sketch, version)
          select ${T}, n.p, n.y, ${interval}, n.b, n.sk, rollup_next_version(null) from n
          where n.sk is not null and not exists (
            select 1 from rollup_sketches s
            where s.tenant_id = ${T} and s.project_id = n.p and s.event_type = n.y and s.interval = ${interval} and s.bucket_start = n.b)
          order by n.p, n.y, n.b
          returning project_id, event_type, bucket_start, sketch, version
        )
        select ${T}::uuid as "tenantId", project_id as "projectId", event_type as "eventType", 'unique_users' as metric,
               ${interval}::text as interval, bucket_start as "bucketStart",
               round(hll_cardinality(sketch))::bigint::text as value, version::text as version
        from (select * from up union all select * from ins) as x`),
      );
    };
    if (tenSecond.length > 0)
      await put(
        '10s',
        tx`select t.p, t.y, t.b, f.sk from er_touched t left join er_fine f using (p, y, b)
           where t.i = '10s' and date_bin('1 hour', t.b, timestamptz 'epoch') = any(${tx.array(tenSecond)}::timestamptz[])`,
      );
    await put(
      '1m',
      tx`select t.p, t.y, t.b, u.sk from er_touched t
         left join (
           select p, y, date_bin('1 minute', b, timestamptz 'epoch') as b, hll_union_agg(sk) as sk from er_fine group by 1, 2, 3
         ) as u using (p, y, b)
         where t.i = '1m'`,
    );
    // Coarser buckets from the rows just written and their untouched neighbours (empty sketches add nothing).
    for (const [interval, finer, width] of [
      ['5m', '1m', '5 minutes'],
      ['1h', '5m', '1 hour'],
    ] as const) {
      if (interval === '1h' && !utc) continue;
      await put(
        interval,
        tx`select t.p, t.y, t.b, (select hll_union_agg(s.sketch) from rollup_sketches s
              where s.tenant_id = ${T} and s.project_id = t.p and s.event_type = t.y and s.interval = ${finer}
                and s.bucket_start >= t.b and s.bucket_start < t.b + ${width}::interval and hll_cardinality(s.sketch) > 0) as sk
           from er_touched t where t.i = ${interval}`,
      );
    }
    await recomputeQuantiles(tx, T, utc, tenSecond);
    const [dims] = await tx<
      { any: boolean }[]
    >`select exists (select 1 from event_dimensions where tenant_id = ${T}) as any`;
    if (dims!.any)
      for (const hourMs of q.hoursMs)
        await rebuildDimensions(tx, {
          tenantId: T,
          intervals: utc ? ['1m', '5m', '1h'] : ['1m', '5m'],
          from: new Date(hourMs),
          to: new Date(hourMs + INTERVAL_MS['1h']),
        });
    // Counts and sums: the erasure step decremented them; their current rows go to Redis (again, idempotently).
    rows.push(
      ...(await tx<RollupRow[]>`
      select r.tenant_id as "tenantId", r.project_id as "projectId", r.event_type as "eventType", r.metric, r.interval,
             r.bucket_start as "bucketStart", r.value::text as value, r.version::text as version
      from er_touched t
      join rollups r on r.tenant_id = ${T} and r.project_id = t.p and r.event_type = t.y and r.interval = t.i and r.bucket_start = t.b`),
    );
    return withZoneGenerations(rows.map(toValue), new Map([[T, zone]]));
  }) as Promise<RollupValue[]>;
}

const hourTexts = (hoursMs: number[]) => hoursMs.map((h) => new Date(h).toISOString());

/**
 * The percentile sketches of every (project, type, hour) whose erased events had a top-level number: from those raw
 * rows, as rebuildHour computes them (10s bins grouped into each interval, collapsed; 10s only in the hours that keep
 * them, 1h only for a UTC tenant), and swapped in for those rows (a sketch left empty is kept at n = 0 with a higher
 * version).
 */
async function recomputeQuantiles(tx: Sql, tenantId: string, utc: boolean, tenSecond: string[]): Promise<void> {
  const targets = await tx<{ p: string; y: string; h: Date }[]>`
    select distinct p, y, date_bin('1 hour', b, timestamptz 'epoch') as h from er_cells where numbers`;
  if (targets.length === 0) return;
  const target = tx.json(targets.map((r) => ({ p: r.p, y: r.y, h: r.h.toISOString() })));
  await tx`set local enable_sort = off`;
  await insertQuantileBins(
    tx,
    'er_fine_q',
    tx`jsonb_to_recordset(${target}) as t(p uuid, y text, h timestamptz)
      join events e on e.tenant_id = ${tenantId} and e.event_type = t.y and e.ts >= t.h and e.ts < t.h + interval '1 hour' and e.project_id = t.p`,
  );
  await tx`set local enable_sort to default`;
  const intervals: Interval[] = ['10s', '1m', '5m', ...(utc ? ['1h' as const] : [])];
  const tens = tx.array(tenSecond);
  await insertCollapsedQuantiles(
    tx,
    'er_new_q',
    'er_fine_q',
    intervals,
    tx`where f.i <> '10s' or date_bin('1 hour', f.b, timestamptz 'epoch') = any(${tens}::timestamptz[])`,
  );
  await tx`
    with d as (
      delete from quantile_sketches q using jsonb_to_recordset(${target}) as t(p uuid, y text, h timestamptz)
      where q.tenant_id = ${tenantId} and q.project_id = t.p and q.event_type = t.y
        and q.interval = any(${tx.array(intervals)}::text[]) and q.bucket_start >= t.h and q.bucket_start < t.h + interval '1 hour'
        and (q.interval <> '10s' or t.h = any(${tens}::timestamptz[]))
      returning q.project_id, q.event_type, q.path, q.interval, q.bucket_start, q.version
    ) insert into er_old_q select * from d`;
  // Percentile sketches are not cached in Redis (adapters/metric-reader.ts): nothing to refresh.
  await tx`
    insert into quantile_sketches (tenant_id, project_id, event_type, path, interval, bucket_start, n, min_value, max_value, bins, counts, version)
    select ${tenantId}, p, y, k, i, b, coalesce(nq.cnt, 0), nq.lo, nq.hi, coalesce(nq.bins, '{}'), coalesce(nq.counts, '{}'),
           rollup_next_version(o.version)
    from er_new_q nq full join er_old_q o using (p, y, k, i, b)
    order by p, y, k, i, b`;
}

export async function hoursDone(sql: Sql, ref: ErasureRef, hoursMs: number[]): Promise<void> {
  const hours = hourTexts(hoursMs);
  await sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await tx`
      update erasure_jobs set hours = array(select h from unnest(hours) as h where h <> all(${tx.array(hours)}::timestamptz[]) order by h)
      where tenant_id = ${ref.tenantId} and id = ${ref.id}`;
    await tx`
      delete from erasure_cells
      where tenant_id = ${ref.tenantId} and job_id = ${ref.id}
        and date_bin('1 hour', bucket_start, timestamptz 'epoch') = any(${tx.array(hours)}::timestamptz[])`;
  });
}

export async function dayDone(sql: Sql, ref: ErasureRef, dayMs: number): Promise<void> {
  await sql`
    update erasure_jobs set days = array_remove(days, ${new Date(dayMs)}::timestamptz)
    where tenant_id = ${ref.tenantId} and id = ${ref.id}`;
}

/**
 * Declared dimensions keep a kept value's text once per dimension (dimension_values, migration 020) and do not delete
 * it with its buckets. After the recomputation, the tenant's value texts that no bucket keeps any more (a value only
 * the erased person had) are deleted, under the tenant's exclusive rollup lock so that no live batch keeps one
 * meanwhile. Four index probes per value (dimension_cells_by_value: dimension, interval, value).
 */
export async function purgeUnkeptValues(sql: Sql, tenantId: string): Promise<number> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await lockTenantExclusive(tx, tenantId);
    const r = await tx`
      delete from dimension_values v using event_dimensions d
      where d.tenant_id = ${tenantId} and v.dimension_id = d.id
        and not exists (
          select 1 from dimension_cells c
          where c.dimension_id = v.dimension_id and c.interval = any('{10s,1m,5m,1h,1d}'::text[]) and c.value_key = v.value_key)`;
    return r.count;
  }) as Promise<number>;
}

export async function finishJob(sql: Sql, ref: ErasureRef, nowMs: number, audit: AuditEntry): Promise<void> {
  await sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const r = await tx`
      update erasure_jobs set status = 'done', finished_at = ${new Date(nowMs)}, hours = '{}', days = '{}', error = null
      where tenant_id = ${ref.tenantId} and id = ${ref.id} and status = 'running'`;
    if (r.count === 1) await appendAudit(tx, audit);
    await tx`delete from erasure_cells where tenant_id = ${ref.tenantId} and job_id = ${ref.id}`;
  });
}

/**
 * A failed attempt. A pending job (nothing erased yet) becomes failed after MAX_ERASURE_ATTEMPTS; a running one
 * (raw rows already erased) is retried by every maintenance run until its recomputation is done.
 */
export async function attemptFailed(sql: Sql, ref: ErasureRef, message: string, nowMs: number): Promise<void> {
  await sql`
    update erasure_jobs set attempts = attempts + 1, error = ${message},
      status = case when status = 'pending' and attempts + 1 >= ${MAX_ERASURE_ATTEMPTS} then 'failed' else status end,
      finished_at = case when status = 'pending' and attempts + 1 >= ${MAX_ERASURE_ATTEMPTS} then ${new Date(nowMs)}::timestamptz end
    where tenant_id = ${ref.tenantId} and id = ${ref.id} and status in ('pending', 'running')`;
}

export async function purgeErasedIds(sql: Sql, cutoffMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await sql`
      delete from erased_event_ids where ctid in (
        select ctid from erased_event_ids where event_ts < ${new Date(cutoffMs)} limit ${CHUNK})`;
    total += r.count;
    if (r.count < CHUNK) return total;
  }
}

export async function personRecords(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; id: string },
): Promise<PersonRecord[]> {
  const ids = await personIds(sql, q);
  const target = targetJson(sql, ids);
  const idRows = await sql<
    { p: string; person: string; id: string; identified: boolean; first: Date; last: Date; n: string }[]
  >`
    select d.project_id as p, d.person_id as person, d.distinct_id as id, d.identified, d.first_seen as first,
           d.last_seen as last, d.event_count::text as n
    from jsonb_to_recordset(${target}) as t(p uuid, d text)
    join distinct_ids d on d.tenant_id = ${q.tenantId} and d.project_id = t.p and d.distinct_id = t.d
    order by d.project_id, d.first_seen, d.distinct_id`;
  const traitRows = await sql<{ p: string; traits: Record<string, unknown>; at: Date | null }[]>`
    select x.project_id as p, x.traits, x.traits_at as at
    from jsonb_to_recordset(${target}) as t(p uuid, d text)
    join persons x on x.tenant_id = ${q.tenantId} and x.project_id = t.p and x.person_id = t.d`;
  const mergeRows = await sql<
    {
      p: string;
      eventId: string;
      ts: Date;
      fromId: string;
      intoId: string;
      outcome: string;
      reason: string | null;
      appliedAt: Date;
      seq: string;
    }[]
  >`
    select distinct m.project_id as p, m.seq, m.event_id as "eventId", m.ts, m.from_id as "fromId", m.into_id as "intoId",
           m.outcome, m.reason, m.applied_at as "appliedAt"
    from jsonb_to_recordset(${target}) as t(p uuid, d text)
    join identity_merges m on m.tenant_id = ${q.tenantId} and m.project_id = t.p and (m.from_id = t.d or m.into_id = t.d)
    order by m.project_id, m.seq`;
  const seenRows = await sql<{ p: string; first: Date; last: Date; n: string }[]>`
    select e.project_id as p, min(e.ts) as first, max(e.ts) as last, count(*)::text as n
    from jsonb_to_recordset(${target}) as t(p uuid, d text)
    join events e on e.tenant_id = ${q.tenantId} and e.user_id = t.d and e.project_id = t.p
    group by 1`;
  const out: PersonRecord[] = [];
  for (const [projectId] of ids) {
    const own = idRows.filter((r) => r.p === projectId);
    const traits = traitRows.filter((r) => r.p === projectId);
    const merges = mergeRows.filter((r) => r.p === projectId);
    const seen = seenRows.find((r) => r.p === projectId);
    if (own.length === 0 && traits.length === 0 && merges.length === 0 && !seen) continue;
    out.push({
      projectId,
      personId: own.find((r) => r.id === q.id)?.person ?? own[0]?.person ?? q.id,
      ids: own.map((r) => ({
        id: r.id,
        identified: r.identified,
        firstSeen: r.first,
        lastSeen: r.last,
        eventCount: Number(r.n),
      })),
      // Each id of a person maps to one persons row at most (the survivor's); merged traits live there.
      traits: Object.assign({}, ...traits.map((r) => r.traits)) as Record<string, unknown>,
      traitsAt: traits.reduce<Date | null>((a, r) => (r.at && (!a || r.at > a) ? r.at : a), null),
      firstSeen: seen?.first ?? null,
      lastSeen: seen?.last ?? null,
      eventCount: Number(seen?.n ?? 0),
      merges: merges.map(({ p: _p, seq: _seq, ...m }) => m),
    });
  }
  return out;
}

export async function personEvents(
  sql: Sql,
  q: {
    tenantId: string;
    ids: Map<string, string[]>;
    after: { ts: string; eventId: string } | null;
    pinnedAt: string;
    limit: number;
  },
): Promise<PersonEvent[]> {
  const after = q.after
    ? sql`and (e.ts, e.event_id) > (${q.after.ts}::timestamptz, ${q.after.eventId}::text collate "C")`
    : sql``;
  return sql<PersonEvent[]>`
    select e.project_id as "projectId", e.event_id as "eventId", e.event_type as "eventType", e.ts,
           e.received_at as "receivedAt", e.user_id as "userId", e.anonymous_id as "anonymousId",
           e.session_id as "sessionId", e.properties, e.context
    from jsonb_to_recordset(${targetJson(sql, q.ids)}) as t(p uuid, d text)
    join events e on e.tenant_id = ${q.tenantId} and e.user_id = t.d and e.project_id = t.p
    where e.stored_at <= ${q.pinnedAt}::timestamptz ${after}
    order by e.ts, e.event_id
    limit ${q.limit}`;
}

/** Erasure and export in Postgres (Adapters.erasures), with the process's client. */
export const createErasureStore = (sql: Sql) => {
  const bound = bindSql(sql, {
    personIds,
    personExists,
    request: requestErasure,
    get: getJob,
    open: openJobs,
    erase: eraseStep,
    recomputeHours,
    hoursDone,
    dayDone,
    finish: finishJob,
    purgeUnkeptValues,
    attemptFailed,
    purgeErasedIds,
    personRecords,
    personEvents,
  });
  return { ...bound, withRunLock: <T>(ref: ErasureRef, fn: () => Promise<T>) => withRunLock(sql, ref, fn) };
};
export type PgErasureStore = ReturnType<typeof createErasureStore>;
