// The event filters GET /v1/events and GET /v1/events/export share (docs/api.md#event-explorer, docs/api.md#export):
// one parser, so both routes read project, event_type, user_id, session_id, from, to and prop.* alike.
import { badRequest } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import { propertyFilters, singleParam, timeParam } from '../http/request';
import { readableProjects } from './scope';

export interface EventFilterParams {
  /** The requested project slug, or null. */
  project: string | null;
  /** NFC; empty: every type. */
  eventTypes: string[];
  userId: string | null;
  sessionId: string | null;
  fromMs?: number;
  toMs?: number;
  props: [string[], string][];
}

/** The filters of a query string. event_type and prop.* may repeat (any of the types; all of the filters); the rest may not. */
export function readEventFilters(params: URLSearchParams): EventFilterParams {
  const project = singleParam(params, 'project');
  const fromMs = timeParam(params, 'from');
  const toMs = timeParam(params, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs)
    throw badRequest('invalid_parameter', 'from must be earlier than to.');
  return {
    project,
    eventTypes: params
      .getAll('event_type')
      .filter((t) => t !== '')
      .map((t) => t.normalize('NFC')),
    userId: singleParam(params, 'user_id'),
    sessionId: singleParam(params, 'session_id'),
    fromMs,
    toMs,
    props: propertyFilters(params),
  };
}

/** The project ids a read is limited to (the key's project, or the requested one), or null for every project. */
export async function projectScope(deps: Adapters, principal: Principal, project: string | null) {
  const restrict = project !== null || principal.projectId !== null;
  return restrict ? (await readableProjects(deps.projects, principal, project)).map((p) => p.id) : null;
}
