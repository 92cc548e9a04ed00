// GET /v1/events: the event explorer, keyset-paged and pinned to the first page's moment.
import { badRequest } from '../../core/errors';
import { decodeCursor, encodeCursor } from '../../core/cursor';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import type { ExplorerQuery } from '../../adapters/postgres/events-explorer';
import { singleParam } from '../http/request';
import { projectScope, readEventFilters } from './event-filters';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

function limitParam(params: URLSearchParams): number {
  const raw = singleParam(params, 'limit');
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT) {
    throw badRequest('invalid_parameter', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return Number(raw);
}

export async function exploreEvents(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const filters = readEventFilters(params);
  const projectIds = await projectScope(deps, principal, filters.project);
  const rawCursor = singleParam(params, 'cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
  const query: ExplorerQuery = {
    tenantId: principal.tenantId,
    projectIds,
    eventTypes: filters.eventTypes,
    userId: filters.userId ?? undefined,
    sessionId: filters.sessionId ?? undefined,
    fromMs: filters.fromMs,
    toMs: filters.toMs,
    props: filters.props,
    limit: limitParam(params),
    cursor,
  };
  const pinnedAt = cursor?.pinnedAt ?? (await deps.explorer.pinMoment(principal.tenantId));
  const { rows, resumeBelowMs } = await deps.explorer.page(query, pinnedAt, deps.now());
  const last = rows[rows.length - 1];
  return {
    events: rows.map((r) => ({
      event_id: r.eventId,
      event_type: r.eventType,
      project: r.project,
      timestamp: r.timestamp.toISOString(),
      received_at: r.receivedAt.toISOString(),
      user_id: r.userId,
      anonymous_id: r.anonymousId,
      session_id: r.sessionId,
      properties: r.properties,
      context: r.context,
    })),
    next_cursor:
      rows.length === query.limit && last
        ? encodeCursor({ pinnedAt, lastTimestamp: last.timestamp.toISOString(), lastEventId: last.eventId })
        : resumeBelowMs !== null
          ? // A shorter page: the scan stopped at this time; the next page goes on below it ('' sorts before every id).
            encodeCursor({ pinnedAt, lastTimestamp: new Date(resumeBelowMs).toISOString(), lastEventId: '' })
          : null,
  };
}
