// Erasure and access in Postgres (docs/architecture.md#erasure): erasure jobs, the erasure step (raw events,
// dedupe ids, distinct ids, traits and merges of a person in one transaction), the hashed ids of erased events, and
// the reads of GET /v1/users/{id}/export. The recomputation of the erased hours is rebuild-store.ts's.
import { bindSql, type Sql } from './client';
import { appendAudit } from './audit-log-store';
import { lockTenantExclusive } from './rollup-lock';
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
 * (tenant_id, user_id, ts) index; the hours they fell in come from the deleted rows themselves, so an event of the
 * person written between the request and this step is erased and recomputed too.
 */
export async function eraseStep(sql: Sql, ref: ErasureRef, nowMs: number): Promise<ErasureJob> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const [job] = await tx<JobRow[]>`
      select ${jobColumns(tx)} from erasure_jobs where tenant_id = ${ref.tenantId} and id = ${ref.id} for update`;
    if (!job) throw new Error(`erasure job ${ref.id} does not exist`);
    if (job.status !== 'pending') return toJob(job);
    const ids = await personIds(tx, { tenantId: ref.tenantId, projectIds: job.projectIds, id: job.person });
    const target = targetJson(tx, ids);
    await tx`create temp table er_target (p uuid, d text, primary key (p, d)) on commit drop`;
    await tx`insert into er_target select * from jsonb_to_recordset(${target}) as t(p uuid, d text) on conflict do nothing`;
    await tx`analyze er_target`;
    // Raw events: gone, their ids hashed (so a redelivery is refused) and out of the dedupe table.
    const hours = await tx<{ h: Date; n: string }[]>`
      with gone as (
        delete from events e using er_target t
        where e.tenant_id = ${ref.tenantId} and e.user_id = t.d and e.project_id = t.p
        returning e.event_id, e.ts
      ), hashed as (
        insert into erased_event_ids (tenant_id, id_hash, event_ts)
        select ${ref.tenantId}, sha256(convert_to(g.event_id, 'UTF8')), g.ts from gone g
        on conflict do nothing
      ), dedupe as (
        delete from event_ids i using gone g where i.tenant_id = ${ref.tenantId} and i.event_id = g.event_id
      )
      select date_bin('1 hour', ts, timestamptz 'epoch') as h, count(*)::text as n from gone group by 1`;
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

export async function hourDone(sql: Sql, ref: ErasureRef, hourMs: number): Promise<void> {
  await sql`
    update erasure_jobs set hours = array_remove(hours, ${new Date(hourMs)}::timestamptz)
    where tenant_id = ${ref.tenantId} and id = ${ref.id}`;
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
    hourDone,
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
