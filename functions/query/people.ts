// GET /v1/users/{id}, GET /v1/users/{id}/events and GET /v1/users: people (docs/api.md#people). Parse, read, shape.
import { badRequest, notFound } from '../../core/errors';
import { decodeCursor, encodeCursor } from '../../core/cursor';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import {
  checkIdParam,
  decodeSearchCursor,
  encodeSearchCursor,
  limitParam,
  personAnswer,
  personSummary,
  timelineEvent,
  traitFilters,
} from '../../core/people';
import { singleParam, timeParam } from '../http/request';
import { readableProjects } from './scope';

/** People are per project: the key's project, the requested one, or the tenant's only one. */
async function personProject(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const projects = await readableProjects(deps.projects, principal, singleParam(params, 'project'));
  if (projects.length !== 1) {
    throw badRequest(
      'invalid_parameter',
      `People are kept per project and this key reads ${projects.length} projects; add project=<slug> (one of: ${projects
        .slice(0, 10)
        .map((p) => p.slug)
        .join(', ')}).`,
    );
  }
  return projects[0]!;
}

async function findPerson(deps: Adapters, principal: Principal, rawId: string, params: URLSearchParams) {
  const id = checkIdParam(rawId, 'the user id in the path');
  const project = await personProject(deps, principal, params);
  const person = await deps.people.personOf({ tenantId: principal.tenantId, projectId: project.id, id });
  if (!person) {
    throw notFound(
      `No event of project "${project.slug}" names the id ${JSON.stringify(id)} (as user_id, anonymous_id or an alias's previous id). Ids are exact and case-sensitive; search with GET /v1/users?q=<prefix>.`,
    );
  }
  return { id, project, person };
}

export async function getPerson(deps: Adapters, principal: Principal, rawId: string, params: URLSearchParams) {
  const { id, project, person } = await findPerson(deps, principal, rawId, params);
  return personAnswer(project.slug, id, person);
}

export async function getPersonEvents(deps: Adapters, principal: Principal, rawId: string, params: URLSearchParams) {
  const limit = limitParam(singleParam(params, 'limit'));
  const fromMs = timeParam(params, 'from');
  const toMs = timeParam(params, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs)
    throw badRequest('invalid_parameter', 'from must be earlier than to.');
  const rawCursor = singleParam(params, 'cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
  const eventTypes = params
    .getAll('event_type')
    .filter((t) => t !== '')
    .map((t) => checkIdParam(t, 'event_type').normalize('NFC'));
  const { project, person } = await findPerson(deps, principal, rawId, params);
  const pinnedAt = cursor?.pinnedAt ?? (await deps.explorer.pinMoment(principal.tenantId));
  const rows = await deps.people.timeline({
    tenantId: principal.tenantId,
    projectId: project.id,
    ids: person.ids.map((r) => r.id),
    pinnedAt,
    eventTypes,
    fromMs,
    toMs,
    limit,
    cursor,
  });
  const last = rows[rows.length - 1];
  return {
    project: project.slug,
    person_id: person.personId,
    events: rows.map(timelineEvent),
    next_cursor:
      rows.length === limit && last
        ? encodeCursor({ pinnedAt, lastTimestamp: last.timestamp.toISOString(), lastEventId: last.eventId })
        : null,
  };
}

export async function searchUsers(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const limit = limitParam(singleParam(params, 'limit'));
  const q = singleParam(params, 'q');
  const text = q === null || q === '' ? null : checkIdParam(q, 'q');
  const traits = traitFilters(params);
  const rawCursor = singleParam(params, 'cursor');
  const after = rawCursor ? decodeSearchCursor(rawCursor) : null;
  const project = await personProject(deps, principal, params);
  const rows = await deps.people.searchPeople({
    tenantId: principal.tenantId,
    projectId: project.id,
    text,
    traits,
    afterPersonId: after,
    limit,
  });
  const last = rows[rows.length - 1];
  return {
    project: project.slug,
    users: rows.map(personSummary),
    next_cursor: rows.length === limit && last ? encodeSearchCursor(last.personId) : null,
  };
}
