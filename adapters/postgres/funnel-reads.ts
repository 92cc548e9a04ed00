// Funnel reads (docs/architecture.md#funnels): one pass over the raw events of the steps (all events for strict
// order) in [from, to + window), each row marked with the steps and exclusions it matches and its breakdown value,
// aggregated per person in SQL (ordered by (ts, event_id)) and read through a cursor in person order; each person's
// events are handed to the pure engine (core/funnel.ts), so memory holds one cursor page of persons at a time.
import type postgres from 'postgres';
import type { Sql } from './client';
import { personOf, joinPersons } from './person-of-event';
import { personReadTx } from './person-reads-tx';
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

/** Bits of an event's packed mask: the step mask (bits 0..19), then the exclusion mask shifted by this many. */
const EXCL_SHIFT = 20;

/**
 * The SQL that streams one row per person, in person id order (bytes): the person's events packed into one text
 * `us:bits,…` (bits = step mask | exclusion mask << 20, so 20 steps and 10 exclusions fit an int4); with a breakdown, a
 * `text[]` instead, each element `us:bits:value` (the value last, as is). The events are packed in (ts, event_id bytes)
 * order: the aggregate runs as a window aggregate over the person's partition, whose rows reach it in the window's
 * ORDER BY (an ORDER BY inside a plain aggregate would cost a sort per person on Postgres 15). So the client needs
 * neither the event ids nor a sort. One row per person instead of one per event (docs/architecture.md#funnels).
 */
export function funnelRowsQuery(sql: Sql, r: FunnelRead) {
  const strict = r.shape.order === 'strict';
  const types = [...new Set([...r.steps, ...r.exclusions].map((s) => s.eventType))];
  const fromTs = new Date(Math.floor(r.shape.fromUs / 1000));
  // Entries are before `to` and later steps at most `window` after their entry: all before to + window.
  const endTs = new Date(Math.ceil((r.shape.toUs + r.shape.windowUs) / 1000));
  const value = r.breakdown ? seriesValueSql(sql, sql`(e.properties #> ${r.breakdown}::text[])`) : sql`null::text`;
  return sql<{ person: string; evs: string | string[] }[]>`
    select person, evs from (
      select person, row_number() over w as rn, ${
        r.breakdown
          ? sql`array_agg(us || ':' || bits || ':' || value) over w`
          : sql`string_agg(us || ':' || bits, ',') over w`
      } as evs
      from (
        select ${personOf(sql)} collate "C" as person, e.ts, e.event_id collate "C" as event_id,
          floor(extract(epoch from e.ts) * 1000000)::int8::text as us,
          ${maskOf(sql, r.steps)} | ((${maskOf(sql, r.exclusions)}) << ${EXCL_SHIFT}) as bits, ${value} as value
        from events e ${joinPersons(sql)}
        where e.tenant_id = ${r.tenantId} and e.project_id = ${r.projectId}
          and e.ts >= ${fromTs} and e.ts < ${endTs} and e.user_id is not null
          ${strict ? sql`` : sql`and e.event_type = any(${sql.array(types)}::text[])`}
      ) x
      where ${strict ? sql`true` : sql`bits <> 0`}
        ${r.afterPerson === null ? sql`` : sql`and person > ${r.afterPerson}::text collate "C"`}
      window w as (partition by person order by ts, event_id rows between unbounded preceding and unbounded following)
    ) y
    where rn = 1
    order by person`;
}

/** A person's events from a row of funnelRowsQuery, in the row's order (ts, event_id). */
export function unpackEvents(evs: string | string[]): FunnelEvent[] {
  const parts = typeof evs === 'string' ? evs.split(',') : evs;
  const out: FunnelEvent[] = new Array<FunnelEvent>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const c1 = p.indexOf(':');
    let c2 = p.indexOf(':', c1 + 1);
    if (c2 === -1) c2 = p.length;
    const bits = Number(p.slice(c1 + 1, c2));
    out[i] = {
      us: Number(p.slice(0, c1)),
      mask: bits & ((1 << EXCL_SHIFT) - 1),
      excl: bits >>> EXCL_SHIFT,
      value: typeof evs === 'string' ? '' : p.slice(c2 + 1),
    };
  }
  return out;
}

export function createFunnelReader(sql: Sql): FunnelReader {
  return {
    async paths(r: FunnelRead, onPerson: (personId: string, path: FunnelPath) => boolean | void): Promise<void> {
      await personReadTx(sql, async (tx) => {
        for await (const rows of funnelRowsQuery(tx, r).cursor(CURSOR_ROWS)) {
          for (const row of rows) {
            const path = personPath(unpackEvents(row.evs), r.shape);
            // Returning from the loop closes the cursor.
            if (path !== null && onPerson(row.person, path) === false) return;
          }
        }
      });
    },
  };
}
