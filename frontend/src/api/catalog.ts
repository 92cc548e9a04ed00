// The tenant's event types, from GET /v1/catalog (every project the key may read).
import type { ApiClient } from './client';
import { expectArray, expectObject, expectString } from './shape';
import type { StoredEvent } from './types';

const collator = new Intl.Collator('en', { sensitivity: 'variant', numeric: true });

/** Distinct event types, sorted for people (case-sensitive names stay distinct). */
export function distinctEventTypes(events: readonly Pick<StoredEvent, 'event_type'>[]): string[] {
  return [...new Set(events.map((event) => event.event_type))].sort(collator.compare);
}

/** The event types of every project in a GET /v1/catalog body. */
export function parseCatalogEventTypes(body: unknown): { event_type: string }[] {
  const projects = expectArray(expectObject(body, 'response').projects, 'projects');
  return projects.flatMap((project, i) =>
    expectArray(expectObject(project, `projects[${i}]`).event_types, `projects[${i}].event_types`).map((t, j) => ({
      event_type: expectString(
        expectObject(t, `projects[${i}].event_types[${j}]`).event_type,
        `projects[${i}].event_types[${j}].event_type`,
      ),
    })),
  );
}

export async function listEventTypes(client: ApiClient, signal?: AbortSignal): Promise<string[]> {
  return distinctEventTypes(await client.get('/v1/catalog', { signal, parse: parseCatalogEventTypes }));
}
