// GET /v1/events — newest first, keyset-paginated with an opaque cursor.
import type { ApiClient, QueryParams } from './client';
import { expectArray, expectObject, expectString, optionalString } from './shape';
import type { EventsPage, StoredEvent } from './types';

export interface EventsPageParams {
  limit: number;
  cursor?: string | null;
  /** Explorer filters as API query parameters (event_type, project, user_id, prop.<path>, from, to …). */
  filters?: QueryParams;
}

export function parseStoredEvent(value: unknown, index: number): StoredEvent {
  const what = `events[${index}]`;
  const obj = expectObject(value, what);
  const properties =
    obj.properties === undefined || obj.properties === null ? {} : expectObject(obj.properties, `${what}.properties`);
  return {
    event_id: expectString(obj.event_id, `${what}.event_id`),
    event_type: expectString(obj.event_type, `${what}.event_type`),
    project: expectString(obj.project, `${what}.project`),
    timestamp: expectString(obj.timestamp, `${what}.timestamp`),
    received_at: expectString(obj.received_at, `${what}.received_at`),
    user_id: optionalString(obj.user_id, `${what}.user_id`),
    anonymous_id: optionalString(obj.anonymous_id, `${what}.anonymous_id`),
    session_id: optionalString(obj.session_id, `${what}.session_id`),
    properties,
    // Segment's context (device, app, library…), shown beside the properties when a row is opened.
    context: obj.context === undefined || obj.context === null ? null : expectObject(obj.context, `${what}.context`),
  };
}

export function parseEventsPage(body: unknown): EventsPage {
  const obj = expectObject(body, 'response');
  return {
    events: expectArray(obj.events, 'events').map(parseStoredEvent),
    next_cursor: optionalString(obj.next_cursor, 'next_cursor'),
  };
}

export function fetchEventsPage(
  client: ApiClient,
  params: EventsPageParams,
  signal?: AbortSignal,
): Promise<EventsPage> {
  return client.get('/v1/events', {
    query: { ...params.filters, limit: params.limit, cursor: params.cursor ?? undefined },
    signal,
    parse: parseEventsPage,
  });
}

/** How far past now the export reads when the filters have no `to`: ingest accepts events stamped up to
 *  MAX_FUTURE_SKEW (1 h by default) ahead, and the explorer without `to` lists those too (docs/api.md#event-explorer). */
export const EXPORT_FUTURE_MARGIN_MS = 24 * 3_600_000;
/** The retention assumed when the tenant's (GET /v1/tenant → retention_days) is unknown. */
export const EXPORT_FALLBACK_RETENTION_DAYS = 30;

/**
 * The export's filters: GET /v1/events/export requires `from` and `to` (docs/api.md#export), while the explorer
 * without them lists every retained event. So a missing `from` is the start of the retention (now − retention_days)
 * and a missing `to` is now plus a margin covering future-stamped events: the same events the explorer lists.
 */
export function exportFilters(filters: QueryParams, nowMs: number, retentionDays: number | null): QueryParams {
  const days = retentionDays !== null && retentionDays > 0 ? retentionDays : EXPORT_FALLBACK_RETENTION_DAYS;
  const present = (v: QueryParams[string]) => v !== undefined && v !== null && v !== '';
  return {
    ...filters,
    from: present(filters.from) ? filters.from : new Date(nowMs - Math.ceil(days * 86_400_000)).toISOString(),
    to: present(filters.to) ? filters.to : new Date(nowMs + EXPORT_FUTURE_MARGIN_MS).toISOString(),
  };
}

/** Most pages one export asks for (each as large as the server makes it); beyond, the file says it stopped. */
export const MAX_EXPORT_PAGES = 200;

/**
 * Every event matching the filters as one CSV or NDJSON text: GET /v1/events/export, following X-Next-Cursor
 * (sent back as `cursor`) until there is none (docs/api.md#event-explorer).
 */
export async function exportEvents(
  client: ApiClient,
  filters: QueryParams,
  format: 'csv' | 'ndjson',
  signal?: AbortSignal,
): Promise<{ pages: string[]; filename: string | null; complete: boolean }> {
  const pages: string[] = [];
  let cursor: string | null = null;
  let filename: string | null = null;
  for (let i = 0; i < MAX_EXPORT_PAGES; i += 1) {
    const answer = await client.getText('/v1/events/export', {
      query: { ...filters, format, cursor: cursor ?? undefined },
      signal,
    });
    pages.push(answer.text);
    filename ??= answer.filename;
    cursor = answer.nextCursor;
    if (cursor === null) return { pages, filename, complete: true };
  }
  return { pages, filename, complete: false };
}
