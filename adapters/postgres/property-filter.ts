// `prop.<path>=<value>` filters (docs/api.md#property-filters): the property's text equals the value, whatever its JSON type. The check
// itself is `properties #>> path = value`; beside it goes a containment test that the GIN index on properties
// (migration 011) can answer — a necessary condition, so it only narrows what is read: the value at the path is the
// string <value>, or the JSON that <value> parses to (number, boolean, array, object: jsonb containment of an equal
// value holds).
import type { Sql } from './client';

function nest(path: string[], leaf: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf);
}

export function propertyFilter(sql: Sql, column: ReturnType<Sql['unsafe']> | ReturnType<Sql>, path: string[], value: string) {
  const candidates: unknown[] = [value];
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed !== null && typeof parsed !== 'string') candidates.push(parsed);
  } catch {
    /* only the string form */
  }
  const contains = candidates.map((c) => sql`${column} @> ${sql.json(nest(path, c) as never)}`);
  const any = contains.reduce((acc, c) => sql`${acc} or ${c}`);
  return sql`and (${any}) and ${column} #>> ${path}::text[] = ${value}`;
}
