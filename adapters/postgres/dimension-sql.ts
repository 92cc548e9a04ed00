// The series value of a property (core/breakdown.ts SeriesValue, docs/api.md#breakdowns) in SQL, the one
// definition both sources use: the dimension rollups (live, replay, rebuild) and raw breakdowns.
import type postgres from 'postgres';
import type { Sql } from './client';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * `v` is a jsonb expression (properties -> name, or properties #> path). SQL null or JSON null → '$none'; a string →
 * itself with a `$` in front when it starts with `$`; anything else → its jsonb text.
 */
export function seriesValueSql(sql: Sql, v: Fragment): Fragment {
  return sql`(case when ${v} is null or jsonb_typeof(${v}) = 'null' then '$none'
    when jsonb_typeof(${v}) = 'string' then (case when left(${v} #>> '{}', 1) = '$' then '$' || (${v} #>> '{}') else ${v} #>> '{}' end)
    else ${v}::text end)`;
}

/** The key a value is stored and ranked under for the K cap: md5 of its UTF-8 text (hex); '$none' is itself. */
export function valueKeySql(sql: Sql, s: Fragment): Fragment {
  return sql`(case when ${s} = '$none' then '$none' else md5(${s}) end)`;
}
