// The explorer's property columns: the top-level properties the loaded events carry, most common first, so a page
// of events reads as a table without opening each row.

/** At most this many property columns (the JSON of a row shows the rest). */
export const MAX_PROPERTY_COLUMNS = 6;

export function propertyColumns(
  events: readonly { properties: Readonly<Record<string, unknown>> }[],
  max = MAX_PROPERTY_COLUMNS,
): string[] {
  const counts = new Map<string, number>();
  for (const event of events)
    for (const name of Object.keys(event.properties)) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, max)
    .map(([name]) => name);
}

/** A property value as one cell's text: strings as they are, other JSON compactly, a missing one as null. */
export function cellText(properties: Readonly<Record<string, unknown>>, name: string): string | null {
  if (!Object.prototype.hasOwnProperty.call(properties, name)) return null;
  const value = properties[name];
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** "27 events", "more than 5 000 events" when counting stopped at the cap. */
export function totalLabel(total: { count: number; capped: boolean }, format: (n: number) => string): string {
  const noun = total.count === 1 && !total.capped ? 'event' : 'events';
  return total.capped ? `more than ${format(total.count)} ${noun}` : `${format(total.count)} ${noun}`;
}

/**
 * The events of an infinite query's pages, in page order, each once: a cursor page may repeat an event an earlier
 * page showed (the explorer's and a person's timeline).
 */
export function distinctEvents<E extends { event_id: string }>(pages: readonly { events: readonly E[] }[]): E[] {
  const seen = new Set<string>();
  const all: E[] = [];
  for (const page of pages)
    for (const e of page.events) {
      if (seen.has(e.event_id)) continue;
      seen.add(e.event_id);
      all.push(e);
    }
  return all;
}
