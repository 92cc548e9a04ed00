// Retention from raw events (POST /v1/retention/query, docs/api.md#retention; the rules in core/retention.ts): one
// statement, so one snapshot, that counts persons per (cohort, breakdown value, period).
//
// 1. `firsts`: per person (adapters/postgres/person-of-event.ts: follows merges) of each project, the first start
//    event in [from, to) — by ts, then event_id (bytes) between equal timestamps — with its breakdown value.
// 2. Its cohort is the global period holding that event: width_bucket over the period starts the core computed in
//    the tenant's zone (so no zone arithmetic in SQL).
// 3. `returns`: per (person, global period) of the return events in [from, end of the last period), the latest
//    timestamp; joined to the person's cohort, period k = global period − cohort counts when k ≥ 1, or k = 0 and
//    that latest return is at or after the first start event. (person, period) is unique there and each person has
//    one cohort, so count(*) counts distinct persons.
// Persons are counted per project: distinct_ids maps ids within one project, so the same id in two projects is two
// persons.
import type { Sql } from './client';
import type { RetentionCell, RetentionEvent, RetentionRead, RetentionReader } from '../../core/retention';
import { propertyFilter } from './property-filter';
import { seriesValueSql } from './dimension-sql';
import { joinPersons, personOf } from './person-of-event';
import { personReadTx } from './person-reads-tx';

function eventConditions(sql: Sql, r: RetentionRead, ev: RetentionEvent, fromMs: number, toMs: number) {
  const filters = ev.filters.map(([path, value]) => propertyFilter(sql, sql`e.properties`, path, value));
  return sql`e.tenant_id = ${r.tenantId} and e.project_id = any(${sql.array(r.projectIds)}::uuid[])
    and e.event_type = ${ev.eventType} and e.user_id is not null
    and e.ts >= ${new Date(fromMs)} and e.ts < ${new Date(toMs)}
    ${filters.reduce((acc, c) => sql`${acc} ${c}`, sql``)}`;
}

/** The statement (exported for EXPLAIN); rows (cohort, value, k, persons). */
export function retentionStatement(sql: Sql, r: RetentionRead) {
  const bounds = r.grid.bounds;
  const end = bounds[bounds.length - 1]!;
  // A scalar subquery, so the text → timestamptz[] cast runs once: the cast is only stable (it reads the session's
  // zone), so the planner does not fold it, and width_bucket would parse every bound again for each row (a pass
  // over 1.5 M rows with 4 bounds: 1.96 s that way, 0.26 s with the subquery).
  const thresholds = sql`(select ${sql.array(bounds.map((b) => new Date(b).toISOString()))}::timestamptz[])`;
  const value = r.breakdown ? seriesValueSql(sql, sql`(e.properties #> ${r.breakdown}::text[])`) : sql`null::text`;
  return sql<{ cohort: number; value: string | null; k: number; persons: string }[]>`
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
      select e.project_id, ${personOf(sql)} as person, width_bucket(e.ts, ${thresholds}) - 1 as g, max(e.ts) as last_ts
      from events e ${joinPersons(sql)}
      where ${eventConditions(sql, r, r.ret, r.fromMs, end)}
      group by 1, 2, 3
    )
    select cohort, value, -1 as k, count(*)::text as persons from cohorts group by cohort, value
    union all
    select c.cohort, c.value, r.g - c.cohort as k, count(*)::text
    from returns r join cohorts c on c.project_id = r.project_id and c.person = r.person
    where r.g >= c.cohort and r.g < c.cohort + ${r.periods} and (r.g > c.cohort or r.last_ts >= c.ts)
    group by c.cohort, c.value, r.g - c.cohort`;
}

export async function readRetention(sql: Sql, r: RetentionRead): Promise<RetentionCell[]> {
  if (r.projectIds.length === 0 || r.grid.cohorts === 0) return [];
  const rows = await personReadTx(sql, (tx) => retentionStatement(tx, r));
  return rows.map((x) => ({ cohort: Number(x.cohort), value: x.value, k: Number(x.k), persons: Number(x.persons) }));
}

export function createRetentionReader(sql: Sql): RetentionReader {
  return { read: (r) => readRetention(sql, r) };
}
