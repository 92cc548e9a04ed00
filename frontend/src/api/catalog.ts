// The tenant's event types. GET /v1/catalog does not exist yet, so they are derived from
// a sample of recent events; when the catalog ships, only listEventTypes changes.
import type { ApiClient } from './client';
import { fetchEventsPage } from './events';
import type { StoredEvent } from './types';

export const EVENT_TYPE_SAMPLE_SIZE = 200;

const collator = new Intl.Collator('en', { sensitivity: 'variant', numeric: true });

/** Distinct event types, sorted for people (case-sensitive names stay distinct). */
export function distinctEventTypes(events: readonly Pick<StoredEvent, 'event_type'>[]): string[] {
  return [...new Set(events.map((event) => event.event_type))].sort(collator.compare);
}

export async function listEventTypes(client: ApiClient, signal?: AbortSignal): Promise<string[]> {
  const page = await fetchEventsPage(client, { limit: EVENT_TYPE_SAMPLE_SIZE }, signal);
  return distinctEventTypes(page.events);
}
