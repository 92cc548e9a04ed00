// Funnel reads (docs/architecture.md#funnels): one pass over the raw events of the steps (all events for strict
// order) in [from, to + window), each row marked with the steps and exclusions it matches and its breakdown value,
// ordered by (person, ts, event_id) and read through a cursor; each person's rows are handed to the pure engine
// (core/funnel.ts) as soon as the next person starts, so memory holds one person's events at a time.
import type postgres from 'postgres';
import type { Sql } from './client';
import { personOf, joinPersons } from './person-of-event';
import { propertyFilter } from './property-filter';
import { seriesValueSql } from './dimension-sql';
import { personPath, type FunnelEvent, type FunnelPath } from '../../core/funnel';
import type { FunnelEventSpec, FunnelRead, FunnelReader } from '../../core/funnel-query';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** Rows fetched per cursor round trip. */
const CURSOR_ROWS = 5_000;

/** `(e.event_type = … and <filters>)` for one step or exclusion. */
function matches(sql: Sql, spec: FunnelEventSpec): Fragment {
  const filters = spec.props.map(([path, value]) => propertyFilter(sql, sql`e.properties`, path, value));
  return sql`(e.event_type = ${spec.eventType} ${filters.reduce((a, f) => sql`${a} ${f}`, sql``)})`;
}

/** A bitmask: bit k set when specs[k] matches (0 for none). */
function maskOf(sql: Sql, specs: FunnelEventSpec[]): Fragment {
  if (specs.length === 0) return sql`0`;
  return specs
    .map((s, k) => sql`(case when ${matches(sql, s)} then ${1 << k}::int4 else 0 end)`)
    .reduce((a, b) => sql`${a} | ${b}`);
}

/** The SQL that streams the rows of a funnel read, ordered by (person, ts, event_id). */
export function funnelRowsQuery(sql: Sql, r: FunnelRead) {
  const strict = r.shape.order === 'strict';
  const types = [...new Set([...r.steps, ...r.exclusions].map((s) => s.eventType))];
  const fromTs = new Date(Math.floor(r.shape.fromUs / 1000));
  // Entries are before `to` and later steps at most `window` after their entry: all before to + window.
  const endTs = new Date(Math.ceil((r.shape.toUs + r.shape.windowUs) / 1000));
  const value = r.breakdown ? seriesValueSql(sql, sql`(e.properties #> ${r.breakdown}::text[])`) : sql`''`;
  return sql<{ person: string; us: number; mask: number; excl: number; value: string }[]>`
    select person, us, mask, excl, value from (
      select ${personOf(sql)} collate "C" as person, e.ts,
        floor(extract(epoch from e.ts) * 1000000)::float8 as us, e.event_id,
        ${maskOf(sql, r.steps)} as mask, ${maskOf(sql, r.exclusions)} as excl, ${value} as value
      from events e ${joinPersons(sql)}
      where e.tenant_id = ${r.tenantId} and e.project_id = ${r.projectId}
        and e.ts >= ${fromTs} and e.ts < ${endTs} and e.user_id is not null
        ${strict ? sql`` : sql`and e.event_type = any(${sql.array(types)}::text[])`}
    ) x
    where ${strict ? sql`true` : sql`(mask <> 0 or excl <> 0)`}
      ${r.afterPerson === null ? sql`` : sql`and person > ${r.afterPerson}::text collate "C"`}
    order by person, ts, event_id`;
}

export function createFunnelReader(sql: Sql): FunnelReader {
  return {
    async paths(r: FunnelRead, onPerson: (personId: string, path: FunnelPath) => boolean | void): Promise<void> {
      let current: string | null = null;
      let events: FunnelEvent[] = [];
      let stopped = false;
      const flush = (): void => {
        if (current === null) return;
        const path = personPath(events, r.shape);
        if (path !== null && onPerson(current, path) === false) stopped = true;
      };
      for await (const rows of funnelRowsQuery(sql, r).cursor(CURSOR_ROWS)) {
        for (const row of rows) {
          if (row.person !== current) {
            flush();
            if (stopped) break;
            current = row.person;
            events = [];
          }
          events.push({ us: row.us, mask: row.mask, excl: row.excl, value: row.value });
        }
        if (stopped) break; // leaving the loop closes the cursor
      }
      if (!stopped) flush();
    },
  };
}
