// `prop.<path>=<value>` filters (docs/api.md#property-filters), one rule for the metrics, the explorer and alert rules:
// - a value written as a JSON number (`0.1`, `-3`, `1e3`, `0.10`; at most 100 characters, exponent within ±1000)
//   matches a JSON number equal to it as a number (`0.10` matches 0.1, `1e3` matches 1000) and a JSON string
//   whose text is exactly the value (`"0.10"`, not `"0.1"`);
// - any other value matches a property whose text is exactly the value: a JSON string equal to it, or the
//   literal `true`/`false`, or an object/array written the way Postgres writes jsonb.
// Beside the exact check goes a containment test that the GIN index on properties (migration 011) can answer — a
// necessary condition, so it only narrows what is read.
import type { Sql } from './client';

type Column = ReturnType<Sql['unsafe']> | ReturnType<Sql>;

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The value when it is compared as a number (JSON number syntax, within what Postgres numeric holds), else null. */
export function numericFilterValue(value: string): string | null {
  if (value.length > 100 || !JSON_NUMBER.test(value)) return null;
  const exponent = /[eE]([+-]?\d+)$/.exec(value);
  if (exponent && Math.abs(Number(exponent[1])) > 1000) return null;
  return value;
}

/** JSON text of {path[0]: {path[1]: ... leaf}} with the leaf's JSON text as given. */
function nestedJson(path: string[], leafJson: string): string {
  return path.reduceRight((inner, key) => `{${JSON.stringify(key)}:${inner}}`, leafJson);
}

/** The exact check alone (no index help): `and <the property at path matches value>`. */
export function propertyMatch(sql: Sql, column: Column, path: string[], value: string) {
  const number = numericFilterValue(value);
  if (number === null) return sql`and ${column} #>> ${path}::text[] = ${value}`;
  // jsonb equality compares numbers as numbers; the string alternative is the literal text. (`::text` first: a
  // parameter typed jsonb would be JSON-encoded by the driver, i.e. become a JSON string.)
  return sql`and (${column} #> ${path}::text[]) in (${number}::text::jsonb, to_jsonb(${value}::text))`;
}

export function propertyFilter(sql: Sql, column: Column, path: string[], value: string) {
  const candidates: string[] = [nestedJson(path, JSON.stringify(value))];
  const number = numericFilterValue(value);
  if (number !== null) {
    candidates.push(nestedJson(path, number));
  } else {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed !== null && typeof parsed !== 'string') candidates.push(nestedJson(path, JSON.stringify(parsed)));
    } catch {
      /* only the string form */
    }
  }
  const contains = candidates.map((c) => sql`${column} @> ${c}::text::jsonb`);
  const any = contains.reduce((acc, c) => sql`${acc} or ${c}`);
  return sql`and (${any}) ${propertyMatch(sql, column, path, value)}`;
}

/** `and e.event_type = …` for one type, `= any(…)` for several, nothing for none (the explorer's and export's filter). */
export function eventTypeCondition(sql: Sql, eventTypes: string[]) {
  if (eventTypes.length === 1) return sql`and e.event_type = ${eventTypes[0]!}`;
  return eventTypes.length > 1 ? sql`and e.event_type = any(${sql.array(eventTypes)}::text[])` : sql``;
}
