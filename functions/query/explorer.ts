// GET /v1/events: the event explorer, keyset-paged and pinned to the first page's moment.
import { badRequest } from '../../core/errors';
import { decodeCursor, encodeCursor } from '../../core/cursor';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import { listEvents, pinMoment, type ExplorerQuery } from '../../adapters/postgres/events-explorer';
import { propertyFilters, timeParam } from '../http/request';
import { readableProjects } from './scope';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

function limitParam(params: URLSearchParams): number {
  const raw = params.get('limit');
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT) {
    throw badRequest('invalid_parameter', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return Number(raw);
}

export async function exploreEvents(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const requested = params.get('project');
  const restrictProjects = requested !== null || principal.projectId !== null;
  const projectIds = restrictProjects ? (await readableProjects(deps.projects, principal, requested)).map((p) => p.id) : null;
  const rawCursor = params.get('cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
  const fromMs = timeParam(params, 'from');
  const toMs = timeParam(params, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw badRequest('invalid_parameter', 'from must be earlier than to.');
  const query: ExplorerQuery = {
    tenantId: principal.tenantId,
    projectIds,
    eventTypes: params.getAll('event_type').filter((t) => t !== ''),
    userId: params.get('user_id') ?? undefined,
    sessionId: params.get('session_id') ?? undefined,
    fromMs,
    toMs,
    props: propertyFilters(params),
    limit: limitParam(params),
    cursor,
  };
  const pinnedAt = cursor?.pinnedAt ?? (await pinMoment(deps.sql));
  const rows = await listEvents(deps.sql, query, pinnedAt);
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
        : null,
  };
}
