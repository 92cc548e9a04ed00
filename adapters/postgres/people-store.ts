// People writes (docs/architecture.md#people-and-identity): the distinct ids of a batch's fresh events with their
// exact counts, the merges they ask for (rules in core/identity.ts) and the persons' traits, all in the batch's
// transaction so a re-delivered event changes nothing (only fresh events reach here).
import type { Sql } from './client';
import { lockTenantExclusive } from './rollup-lock';
import type { RawEvent } from '../../core/raw-event';
import {
  applyIdentitySteps,
  identityEffect,
  identitySteps,
  idDeltas,
  needsIdentityLock,
  stepIds,
  type IdState,
  type MergeLogEntry,
} from '../../core/identity';

const projectKey = (e: { tenantId: string; projectId: string }) => e.tenantId + ':' + e.projectId;

/**
 * The project's identity lock (transaction-scoped): taken by every batch that merges or sets traits, so their
 * reads of persons and their writes serialise per project. Taken in sorted key order, so batches of several
 * projects cannot deadlock on it.
 */
export async function lockIdentity(sql: Sql, keys: string[]): Promise<void> {
  for (const k of [...new Set(keys)].sort()) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${'people:' + k}, 0))`;
  }
}

interface IdRow {
  t: string;
  p: string;
  id: string;
  c: number;
  f: string | null;
  l: string | null;
  ident: boolean;
  person: string;
  move: boolean;
}

/**
 * Records the people side of a batch's fresh events (inside writeBatch's transaction, after the events insert).
 * With `counted` (rebuild's replay, whose counts are already stored), the events add no count: first/last seen and
 * identified are idempotent, so replaying an event already counted changes nothing else.
 */
export async function recordPeople(
  sql: Sql,
  fresh: readonly RawEvent[],
  opts: { counted?: boolean } = {},
): Promise<void> {
  const groups = new Map<string, RawEvent[]>();
  for (const e of fresh) {
    if (e.userId === null) continue;
    const k = projectKey(e);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(e);
  }
  if (groups.size === 0) return;
  const locked = [...groups].filter(([, events]) => needsIdentityLock(events)).map(([k]) => k);
  await lockIdentity(sql, locked);
  const rows: IdRow[] = [];
  const log: (MergeLogEntry & { t: string; p: string })[] = [];
  const traitPersons: { t: string; p: string; person: string }[] = [];
  const gone: { t: string; p: string; person: string }[] = [];
  for (const [k, events] of groups) {
    const { tenantId: t, projectId: p } = events[0]!;
    const deltas = idDeltas(events);
    const isLocked = locked.includes(k);
    let state = new Map<string, IdState>();
    const before = new Map<string, string>();
    if (isLocked) {
      const steps = identitySteps(events);
      const traitIds = events.filter((e) => identityEffect(e).setsTraits).map((e) => e.userId!);
      const ids = [...new Set([...stepIds(steps), ...traitIds])];
      const loaded = await sql<{ id: string; person: string; identified: boolean }[]>`
        select distinct_id as id, person_id as person, identified from distinct_ids
        where tenant_id = ${t} and project_id = ${p} and person_id in (
          select person_id from distinct_ids
          where tenant_id = ${t} and project_id = ${p} and distinct_id = any(${sql.array(ids)}::text[]))`;
      for (const r of loaded) {
        state.set(r.id, { personId: r.person, identified: r.identified });
        before.set(r.id, r.person);
      }
      const applied = applyIdentitySteps(state, steps);
      state = applied.state;
      for (const entry of applied.log) log.push({ ...entry, t, p });
      for (const [person] of applied.absorbed) gone.push({ t, p, person });
      const touched = new Set([...applied.absorbed.values()]);
      for (const id of traitIds) touched.add(state.get(id)?.personId ?? id);
      for (const person of touched) traitPersons.push({ t, p, person });
    }
    for (const id of new Set([...deltas.keys(), ...state.keys()])) {
      const d = deltas.get(id);
      const s = state.get(id);
      rows.push({
        t,
        p,
        id,
        c: opts.counted ? 0 : (d?.count ?? 0),
        f: d ? new Date(d.firstMs).toISOString() : null,
        l: d ? new Date(d.lastMs).toISOString() : null,
        ident: d?.identified ?? false,
        person: s?.personId ?? id,
        // Under the identity lock the computed person is authoritative; without it, an existing row keeps its own.
        move: s !== undefined && before.get(id) !== s.personId,
      });
    }
  }
  // One upsert in primary-key order: concurrent batches lock the rows they share in the same order (no deadlock).
  // An id only moved by a merge adds nothing: first/last seen ±infinity leave the stored ones.
  const moved = rows.filter((r) => r.move).map((r) => ({ t: r.t, p: r.p, id: r.id }));
  await sql`
    with mv as (
      select * from jsonb_to_recordset(${sql.json(moved)}) as m(t uuid, p uuid, id text)
    )
    insert into distinct_ids as d (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
    select x.t, x.p, x.id, x.person, x.ident, coalesce(x.f, 'infinity'), coalesce(x.l, '-infinity'), x.c
    from jsonb_to_recordset(${sql.json(rows as never)}) as x(t uuid, p uuid, id text, c bigint, f timestamptz, l timestamptz, ident boolean, person text)
    order by x.t, x.p, x.id collate "C"
    on conflict (tenant_id, project_id, distinct_id) do update set
      event_count = d.event_count + excluded.event_count,
      first_seen = least(d.first_seen, excluded.first_seen),
      last_seen = greatest(d.last_seen, excluded.last_seen),
      identified = d.identified or excluded.identified,
      person_id = case when exists (
          select 1 from mv where mv.t = excluded.tenant_id and mv.p = excluded.project_id and mv.id = excluded.distinct_id
        ) then excluded.person_id else d.person_id end`;
  if (log.length > 0) {
    const entries = log.map((m, n) => ({
      n,
      t: m.t,
      p: m.p,
      e: m.eventId,
      ts: new Date(m.timestampMs).toISOString(),
      f: m.from,
      i: m.into,
      o: m.outcome,
      r: m.reason,
    }));
    await sql`
      insert into identity_merges (tenant_id, project_id, event_id, ts, from_id, into_id, outcome, reason)
      select x.t, x.p, x.e, x.ts, x.f, x.i, x.o, x.r
      from jsonb_to_recordset(${sql.json(entries as never)}) as x(n int, t uuid, p uuid, e text, ts timestamptz, f text, i text, o text, r text)
      order by x.n`;
  }
  if (gone.length > 0) {
    await sql`
      delete from persons ps using jsonb_to_recordset(${sql.json(gone as never)}) as x(t uuid, p uuid, person text)
      where ps.tenant_id = x.t and ps.project_id = x.p and ps.person_id = x.person`;
  }
  if (traitPersons.length > 0) await recomputeTraits(sql, traitPersons);
}

/**
 * A person's traits, recomputed from the `$identify` events of all its ids: per key, the value of the newest
 * event (timestamp, then event id) that set it. Exact whatever order the events arrived in.
 */
export async function recomputeTraits(sql: Sql, persons: { t: string; p: string; person: string }[]): Promise<void> {
  await sql`
    insert into persons as ps (tenant_id, project_id, person_id, traits, traits_at)
    select x.t, x.p, x.person, coalesce(tr.traits, '{}'), tr.at
    from jsonb_to_recordset(${sql.json(persons as never)}) as x(t uuid, p uuid, person text)
    cross join lateral (
      select jsonb_object_agg(s.k, s.v) as traits, max(s.ts) as at from (
        select distinct on (kv.k) kv.k, kv.v, e.ts
        from distinct_ids d
        join events e on e.tenant_id = d.tenant_id and e.user_id = d.distinct_id and e.project_id = d.project_id
                     and e.event_type = '$identify'
        cross join lateral jsonb_each(e.properties) as kv(k, v)
        where d.tenant_id = x.t and d.project_id = x.p and d.person_id = x.person
        order by kv.k, e.ts desc, e.event_id desc
      ) as s
    ) as tr
    order by x.t, x.p, x.person collate "C"
    on conflict (tenant_id, project_id, person_id) do update set traits = excluded.traits, traits_at = excluded.traits_at`;
}

/**
 * `customersignal rebuild`: a tenant's distinct ids, persons and merge log recomputed from all its raw events, in
 * (timestamp, event id) order (so refusals follow event time, where live ingestion follows arrival), in one
 * transaction holding the tenant's rollup lock exclusive (live batches of the tenant wait; readers see the old
 * people until it commits). Returns the events counted.
 *
 * Equal to replaying every event through recordPeople in that order, at the cost of one grouped statement plus a
 * replay of the few events identity depends on:
 * 1. every id an event names as its own, with its exact count and first/last seen, grouped in one statement, as
 *    its own person. An id that no merging or trait-setting event names is never merged and its flag is never
 *    read, so it is written identified or not as its events say; the others start unidentified;
 * 2. replayed in order (counting nothing again): the events that merge or set traits, and for each id they name
 *    the first event that identifies it. The merge rules read only persons and identified flags, and an id's flag
 *    changes once, at its first identifying event; later identifying events of an id change nothing, and an id
 *    written by step 1 is its own unidentified person, exactly what the replay would have made of it on first
 *    sight.
 */
export async function rebuildPeople(sql: Sql, q: { tenantId: string; chunk?: number }): Promise<number> {
  const chunk = q.chunk ?? 5000;
  const t = q.tenantId;
  return sql.begin(async (begun) => {
    const tx = begun as unknown as Sql;
    await lockTenantExclusive(tx, t);
    await tx`delete from identity_merges where tenant_id = ${t}`;
    await tx`delete from persons where tenant_id = ${t}`;
    await tx`delete from distinct_ids where tenant_id = ${t}`;
    // The events identity depends on (a superset of those identityEffect gives merges or traits; it decides), read
    // once into the replay table; every id they name is a superset of the ids any merge step names or any trait
    // step loads.
    await tx`
      create temp table people_replay on commit drop as
      select project_id, event_id, event_type, ts, user_id, anonymous_id, properties from events
      where tenant_id = ${t} and user_id is not null
        and (event_type in ('$identify', '$alias') or anonymous_id <> user_id)`;
    await tx`
      create temp table people_named on commit drop as
      select distinct e.project_id, v.id
      from people_replay e
      cross join lateral (values (e.user_id), (e.anonymous_id),
        (case when e.event_type = '$alias' then e.properties ->> 'previous_id' end),
        (case when e.event_type = '$alias' then e.properties ->> 'previousId' end)) as v(id)
      where v.id is not null`;
    await tx`create unique index on people_named (project_id, id)`;
    // An id no identity event names stays its own person, and its identified flag is never read: it is written
    // final here. A named id starts unidentified; the replay identifies it at its first identifying event.
    const [counted] = await tx<{ n: number }[]>`
      with ins as (
        insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
        select ${t}, g.project_id, g.user_id, g.user_id, g.ident and m.id is null, g.f, g.l, g.c
        from (
          select project_id, user_id, min(ts) as f, max(ts) as l, count(*) as c,
                 bool_or(anonymous_id is distinct from user_id) as ident
          from events where tenant_id = ${t} and user_id is not null
          group by project_id, user_id
        ) as g
        left join people_named m on m.project_id = g.project_id and m.id = g.user_id
        returning event_count
      )
      select coalesce(sum(event_count), 0)::float8 as n from ins`;
    // The replay below looks ids and persons up in distinct_ids. Its statistics may predate the rows this transaction
    // wrote (a table never analyzed, as right after a bulk load): planned on those, the replay of a seeded tenant of
    // 30 000 persons with merges ran for over 5 minutes, and for 2 s after this ANALYZE, which samples the
    // transaction's own rows. It needs the table's owner: the functions' role on AWS (migration 013) is a member of
    // the table's owner role (migration 032), so it runs there too. Its
    // lock lasts until commit, so two tenants' people rebuilds in one database take turns from here (the rebuild
    // command runs tenants one after another).
    await tx`analyze distinct_ids`;
    // And each named id's first identifying event, when it is not an identity event already in the table.
    await tx`
      insert into people_replay
      select e.project_id, e.event_id, e.event_type, e.ts, e.user_id, e.anonymous_id, e.properties
      from events e
      where e.tenant_id = ${t} and (e.ts, e.event_id) in (
          select distinct on (f.project_id, f.user_id) f.ts, f.event_id
          from events f join people_named m on m.project_id = f.project_id and m.id = f.user_id
          where f.tenant_id = ${t} and f.anonymous_id is distinct from f.user_id
          order by f.project_id, f.user_id, f.ts, f.event_id)
        and not (e.event_type in ('$identify', '$alias') or coalesce(e.anonymous_id <> e.user_id, false))`;
    await tx`create index on people_replay (ts, event_id)`;
    const none = tx``;
    let after: { ts: string; id: string } | null = null;
    for (;;) {
      const rows: (RawEvent & { tsText: string })[] = await tx<(RawEvent & { tsText: string })[]>`
        select ${t}::uuid as "tenantId", project_id as "projectId", event_id as "eventId", event_type as "eventType",
               (extract(epoch from ts) * 1000)::float8 as "timestampMs", user_id as "userId", anonymous_id as "anonymousId",
               properties, ts::text as "tsText"
        from people_replay
        ${after ? tx`where (ts, event_id) > (${after.ts}::timestamptz, ${after.id})` : none}
        order by ts, event_id
        limit ${chunk}`;
      if (rows.length === 0) return counted?.n ?? 0;
      await recordPeople(tx, rows, { counted: true });
      const last = rows[rows.length - 1]!;
      after = { ts: last.tsText, id: last.eventId };
    }
  });
}
