// People reads (GET /v1/users…, docs/api.md#people): a person by any of its ids, its merged timeline, and the
// search by id prefix or trait.
import { bindSql, type Sql } from './client';
import type {
  PersonIdRow,
  PersonRecord,
  PersonSummary,
  TimelineQuery,
  TimelineRow,
  PeopleSearch,
} from '../../core/people';

/** The person an id belongs to, with all its ids and traits; null when the project has never seen the id. */
export async function personOf(
  sql: Sql,
  q: { tenantId: string; projectId: string; id: string },
): Promise<PersonRecord | null> {
  const ids = await sql<PersonIdRow[]>`
    select d.distinct_id as id, d.person_id as "personId", d.identified, d.first_seen as "firstSeen",
           d.last_seen as "lastSeen", d.event_count::text as "eventCount"
    from distinct_ids d
    where d.tenant_id = ${q.tenantId} and d.project_id = ${q.projectId} and d.person_id = (
      select person_id from distinct_ids where tenant_id = ${q.tenantId} and project_id = ${q.projectId} and distinct_id = ${q.id})
    order by d.distinct_id collate "C"`;
  if (ids.length === 0) return null;
  const personId = ids[0]!.personId;
  const [p] = await sql<{ traits: Record<string, unknown>; traitsAt: Date | null }[]>`
    select traits, traits_at as "traitsAt" from persons
    where tenant_id = ${q.tenantId} and project_id = ${q.projectId} and person_id = ${personId}`;
  return { personId, ids: [...ids], traits: p?.traits ?? {}, traitsAt: p?.traitsAt ?? null };
}

/** One page of a person's merged timeline (every event of its ids), newest first, pinned like the explorer. */
export async function timeline(sql: Sql, q: TimelineQuery): Promise<TimelineRow[]> {
  const none = sql``;
  return sql<TimelineRow[]>`
    select e.event_id as "eventId", e.event_type as "eventType", e.ts as timestamp, e.received_at as "receivedAt",
           e.user_id as "userId", e.anonymous_id as "anonymousId", e.session_id as "sessionId", e.properties, e.context
    from events e
    where e.tenant_id = ${q.tenantId} and e.project_id = ${q.projectId}
      and e.user_id = any(${sql.array(q.ids)}::text[])
      and e.stored_at <= ${q.pinnedAt}::timestamptz
      ${q.eventTypes.length > 0 ? sql`and e.event_type = any(${sql.array(q.eventTypes)}::text[])` : none}
      ${q.fromMs !== undefined ? sql`and e.ts >= ${new Date(q.fromMs)}` : none}
      ${q.toMs !== undefined ? sql`and e.ts < ${new Date(q.toMs)}` : none}
      ${q.cursor ? sql`and (e.ts, e.event_id) < (${q.cursor.lastTimestamp}::timestamptz, ${q.cursor.lastEventId})` : none}
    order by e.ts desc, e.event_id desc
    limit ${q.limit}`;
}

/**
 * Persons matching a search, ordered by person id (keyset after `afterPersonId`): `q` matches an id starting with
 * it or a trait value (as text) containing it, case-insensitively; each trait filter needs the trait's text equal.
 */
export async function searchPeople(sql: Sql, q: PeopleSearch): Promise<PersonSummary[]> {
  const none = sql``;
  const t = q.tenantId;
  const p = q.projectId;
  const after = q.afterPersonId !== null ? sql`and d.person_id > ${q.afterPersonId}` : none;
  const byText =
    q.text === null
      ? none
      : sql`and (
          exists (select 1 from distinct_ids d2 where d2.tenant_id = ${t} and d2.project_id = ${p}
                  and d2.person_id = d.person_id and d2.distinct_id >= ${q.text} and starts_with(d2.distinct_id, ${q.text}))
          or exists (select 1 from jsonb_each_text(ps.traits) kv where strpos(lower(kv.value), lower(${q.text})) > 0))`;
  const byTraits = q.traits.map(([k, v]) => sql`and ps.traits ->> ${k} = ${v}`);
  return sql<PersonSummary[]>`
    select d.person_id as "personId", array_agg(d.distinct_id order by d.distinct_id collate "C") as ids,
           min(d.first_seen) as "firstSeen", max(d.last_seen) as "lastSeen", sum(d.event_count)::text as "eventCount",
           coalesce(ps.traits, '{}') as traits
    from distinct_ids d
    left join persons ps on ps.tenant_id = d.tenant_id and ps.project_id = d.project_id and ps.person_id = d.person_id
    where d.tenant_id = ${t} and d.project_id = ${p} ${after} ${byText}
      ${byTraits.reduce((acc, c) => sql`${acc} ${c}`, none)}
    group by d.person_id, ps.traits
    order by d.person_id collate "C"
    limit ${q.limit}`;
}

export const createPeopleReads = (sql: Sql) => bindSql(sql, { personOf, timeline, searchPeople });
export type PeopleReads = ReturnType<typeof createPeopleReads>;
