// Retention from raw events (POST /v1/retention/query, docs/api.md#retention; the rules in core/retention.ts): one
// statement, so one snapshot, that counts persons per (cohort, breakdown value, period).
//
// 1. `firsts`: per person (adapters/postgres/person-of-event.ts: follows merges) of each project, the first start
//    event in [from, to) — by ts, then event_id (bytes) between equal timestamps — with its breakdown value.
// 2. Its cohort is the global period holding that event: width_bucket over the period starts the core computed in
//    the tenant's zone (so no zone arithmetic in SQL).
// 3. `returns`: the distinct (person, global period) of the return events at or after the person's first start event
//    and before the end of the last period; period k of the cohort = global period − cohort.
// Persons are counted per project: distinct_ids maps ids within one project, so the same id in two projects is two
// persons.
import type { Sql } from './client';
import type { RetentionCell, RetentionEvent, RetentionRead, RetentionReader } from '../../core/retention';
import { propertyFilter } from './property-filter';
import { seriesValueSql } from './dimension-sql';
import { joinPersons, personOf } from './person-of-event';

function eventConditions(sql: Sql, r: RetentionRead, ev: RetentionEvent, fromMs: number, toMs: number) {
  const filters = ev.filters.map(([path, value]) => propertyFilter(sql, sql`e.properties`, path, value));
  return sql`e.tenant_id = ${r.tenantId} and e.project_id = any(${sql.array(r.projectIds)}::uuid[])
    and e.event_type = ${ev.eventType} and e.user_id is not null
    and e.ts >= ${new Date(fromMs)} and e.ts < ${new Date(toMs)}
    ${filters.reduce((acc, c) => sql`${acc} ${c}`, sql``)}`;
}

export async function readRetention(sql: Sql, r: RetentionRead): Promise<RetentionCell[]> {
  if (r.projectIds.length === 0 || r.grid.cohorts === 0) return [];
  const bounds = r.grid.bounds;
  const end = bounds[bounds.length - 1]!;
  const thresholds = sql`${sql.array(bounds.map((b) => new Date(b).toISOString()))}::timestamptz[]`;
  const value = r.breakdown ? seriesValueSql(sql, sql`(e.properties #> ${r.breakdown}::text[])`) : sql`null::text`;
  const rows = await sql<{ cohort: number; value: string | null; k: number; persons: string }[]>`
    with firsts as (
      select distinct on (e.project_id, ${personOf(sql)})
             e.project_id, ${personOf(sql)} as person, e.ts, ${value} as value
      from events e ${joinPersons(sql)}
      where ${eventConditions(sql, r, r.start, r.fromMs, r.toMs)}
      order by e.project_id, ${personOf(sql)}, e.ts, e.event_id
    ),
    cohorts as (
      select project_id, person, ts, value, width_bucket(ts, ${thresholds}) - 1 as cohort from firsts
    ),
    returns as (
      select distinct c.project_id, c.person, c.cohort, c.value, width_bucket(e.ts, ${thresholds}) - 1 - c.cohort as k
      from events e ${joinPersons(sql)}
      join cohorts c on c.project_id = e.project_id and c.person = ${personOf(sql)}
      where ${eventConditions(sql, r, r.ret, r.fromMs, end)} and e.ts >= c.ts
    )
    select cohort, value, -1 as k, count(*)::text as persons from cohorts group by cohort, value
    union all
    select cohort, value, k, count(*)::text from returns where k < ${r.periods} group by cohort, value, k`;
  return rows.map((x) => ({ cohort: Number(x.cohort), value: x.value, k: Number(x.k), persons: Number(x.persons) }));
}

export function createRetentionReader(sql: Sql): RetentionReader {
  return { read: (r) => readRetention(sql, r) };
}
