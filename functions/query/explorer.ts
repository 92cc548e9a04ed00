// GET /v1/events: the event explorer, keyset-paged and pinned to the first page's moment.
import { badRequest } from '../../core/errors';
import { decodeCursor, encodeCursor } from '../../core/cursor';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import type { ExplorerQuery } from '../../adapters/postgres/events-explorer';
import { propertyFilters, singleParam, timeParam } from '../http/request';
import { readableProjects } from './scope';

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
  // event_type and prop.* may repeat (any of the types; all of the filters); every other parameter is single-valued.
  const requested = singleParam(params, 'project');
  const restrictProjects = requested !== null || principal.projectId !== null;
  const projectIds = restrictProjects
    ? (await readableProjects(deps.projects, principal, requested)).map((p) => p.id)
    : null;
  const rawCursor = singleParam(params, 'cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
  const fromMs = timeParam(params, 'from');
  const toMs = timeParam(params, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs)
    throw badRequest('invalid_parameter', 'from must be earlier than to.');
  const query: ExplorerQuery = {
    tenantId: principal.tenantId,
    projectIds,
    eventTypes: params
      .getAll('event_type')
      .filter((t) => t !== '')
      .map((t) => t.normalize('NFC')),
    userId: singleParam(params, 'user_id') ?? undefined,
    sessionId: singleParam(params, 'session_id') ?? undefined,
    fromMs,
    toMs,
    props: propertyFilters(params),
    limit: limitParam(params),
    cursor,
  };
  const pinnedAt = cursor?.pinnedAt ?? (await deps.explorer.pinMoment());
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
