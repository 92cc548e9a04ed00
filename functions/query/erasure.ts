// Erasure and access (docs/api.md#erasure-and-access): DELETE /v1/users/{id} starts an erasure job, GET
// /v1/erasures/{job_id} reads it, GET /v1/users/{id}/export returns everything stored about the person. All admin,
// all audit-logged. Parse → core/erasure.ts and the stores → map.
import { badRequest, notFound } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import { erasureJobView, personIdParam, type PersonEvent, type PersonRecord } from '../../core/erasure';
import { keyActor } from '../../core/audit-log';
import { decodeCursor, encodeCursor } from '../../core/cursor';
import { isUuid, uuidv7 } from '../../core/ids';
import { json, type HttpResult } from '../http/middleware';
import { singleParam } from '../http/request';
import { readableProjects } from './scope';
import { startErasure } from '../maintenance/erasure';

/** Where a job is read (the Location of the 202). */
export const erasurePath = (jobId: string) => `/v1/erasures/${jobId}`;

export const PERSON_EXPORT_DEFAULT_LIMIT = 10_000;
export const PERSON_EXPORT_MAX_LIMIT = 10_000;

const nothingStored = (id: string) =>
  notFound(
    `Nothing is stored about user ${JSON.stringify(id)} in the projects this key can read (no events, ids or traits; an erased person has none).`,
  );

/**
 * DELETE /v1/users/{id}: a pending job (or the open one for the same person and projects), 202. `runNow` starts it
 * beside the request (the local runtime); otherwise the next maintenance run picks it up.
 */
export async function deleteUser(
  deps: Adapters,
  principal: Principal,
  rawId: string,
  params: URLSearchParams,
  opts: { runNow: boolean },
): Promise<HttpResult> {
  const id = personIdParam(rawId);
  const projects = await readableProjects(deps.projects, principal, singleParam(params, 'project'));
  const projectIds = projects.map((p) => p.id);
  if (!(await deps.erasures.personExists({ tenantId: principal.tenantId, projectIds, id }))) throw nothingStored(id);
  const nowMs = deps.now();
  const actor = keyActor(principal);
  const { job, created } = await deps.erasures.request(
    {
      tenantId: principal.tenantId,
      id: uuidv7(nowMs),
      person: id,
      projectIds,
      requestedBy: `${actor.kind}:${actor.id}`,
      nowMs,
    },
    (jobId) => ({
      tenantId: principal.tenantId,
      atMs: nowMs,
      actor,
      action: 'person.erase',
      target: id,
      before: null,
      after: { job_id: jobId, status: 'pending', projects: projects.map((p) => p.slug).sort() },
    }),
  );
  if (created && opts.runNow) startErasure(deps, { tenantId: job.tenantId, id: job.id });
  return json(202, erasureJobView(job), { Location: erasurePath(job.id) });
}

/** GET /v1/erasures/{job_id}. */
export async function getErasure(deps: Adapters, principal: Principal, jobId: string) {
  if (!isUuid(jobId))
    throw badRequest(
      'invalid_parameter',
      'The job id is a UUID, as in the "id" (or the Location header) DELETE /v1/users/{id} returned.',
    );
  const job = await deps.erasures.get({ tenantId: principal.tenantId, id: jobId.toLowerCase() });
  // A key bound to a project sees the jobs of that project only.
  if (!job || (principal.projectId !== null && job.projectIds.some((p) => p !== principal.projectId)))
    throw notFound(`No erasure job ${jobId} in this tenant.`);
  return erasureJobView(job);
}

function limitParam(params: URLSearchParams): number {
  const raw = singleParam(params, 'limit');
  if (raw === null || raw === '') return PERSON_EXPORT_DEFAULT_LIMIT;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > PERSON_EXPORT_MAX_LIMIT)
    throw badRequest(
      'invalid_parameter',
      `limit must be a whole number from 1 to ${PERSON_EXPORT_MAX_LIMIT} (events per page).`,
    );
  return Number(raw);
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function personLine(r: PersonRecord, slug: string) {
  return {
    type: 'person',
    project: slug,
    person: r.personId,
    ids: r.ids.map((i) => ({
      id: i.id,
      identified: i.identified,
      first_seen: iso(i.firstSeen),
      last_seen: iso(i.lastSeen),
      event_count: i.eventCount,
    })),
    traits: r.traits,
    traits_at: iso(r.traitsAt),
    first_seen: iso(r.firstSeen),
    last_seen: iso(r.lastSeen),
    event_count: r.eventCount,
  };
}

function eventLine(e: PersonEvent, slug: string) {
  return {
    type: 'event',
    project: slug,
    event_id: e.eventId,
    event_type: e.eventType,
    timestamp: e.ts.toISOString(),
    received_at: e.receivedAt.toISOString(),
    user_id: e.userId,
    anonymous_id: e.anonymousId,
    session_id: e.sessionId,
    properties: e.properties,
    context: e.context,
  };
}

/**
 * GET /v1/users/{id}/export: NDJSON. The first page starts with one `person` line per project holding anything of
 * the person and its `merge` lines; then `event` lines, oldest first, at most `limit` a page. X-Next-Cursor (and a
 * Link rel="next") continue; the pages list the events stored when the first page was read.
 */
export async function exportUser(
  deps: Adapters,
  principal: Principal,
  rawId: string,
  params: URLSearchParams,
): Promise<HttpResult> {
  const id = personIdParam(rawId);
  const project = singleParam(params, 'project');
  const projects = await readableProjects(deps.projects, principal, project);
  const slugOf = new Map(projects.map((p) => [p.id, p.slug]));
  const projectIds = projects.map((p) => p.id);
  const limit = limitParam(params);
  const rawCursor = singleParam(params, 'cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : null;
  const q = { tenantId: principal.tenantId, projectIds, id };
  const pinnedAt = cursor?.pinnedAt ?? (await deps.explorer.pinMoment(principal.tenantId));
  const ids = await deps.erasures.personIds(q);
  const records = cursor ? [] : await deps.erasures.personRecords(q);
  const events = await deps.erasures.personEvents({
    tenantId: principal.tenantId,
    ids,
    after: cursor ? { ts: cursor.lastTimestamp, eventId: cursor.lastEventId } : null,
    pinnedAt,
    limit,
  });
  if (!cursor && records.length === 0 && events.length === 0) throw nothingStored(id);
  const lines: unknown[] = [];
  for (const r of records) {
    const slug = slugOf.get(r.projectId)!;
    lines.push(personLine(r, slug));
    for (const m of r.merges)
      lines.push({
        type: 'merge',
        project: slug,
        event_id: m.eventId,
        timestamp: m.ts.toISOString(),
        from_id: m.fromId,
        into_id: m.intoId,
        outcome: m.outcome,
        reason: m.reason,
        applied_at: m.appliedAt.toISOString(),
      });
  }
  for (const e of events) lines.push(eventLine(e, slugOf.get(e.projectId)!));
  const last = events[events.length - 1];
  const next =
    events.length === limit && last
      ? encodeCursor({ pinnedAt, lastTimestamp: last.ts.toISOString(), lastEventId: last.eventId })
      : null;
  const nowMs = deps.now();
  await deps.auditLog.append({
    tenantId: principal.tenantId,
    atMs: nowMs,
    actor: keyActor(principal),
    action: 'person.export',
    target: id,
    before: null,
    after: { page: cursor ? 'next' : 'first', events: events.length, projects: projects.map((p) => p.slug).sort() },
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-ndjson; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Export-Complete': next === null ? 'true' : 'false',
  };
  if (next !== null) {
    const path = `/v1/users/${encodeURIComponent(id)}/export`;
    const keep = new URLSearchParams();
    if (project !== null) keep.set('project', project);
    if (singleParam(params, 'limit') !== null) keep.set('limit', String(limit));
    keep.set('cursor', next);
    headers['X-Next-Cursor'] = next;
    headers['Link'] = `<${path}?${keep.toString()}>; rel="next"`;
  }
  return { statusCode: 200, headers, body: lines.map((l) => JSON.stringify(l) + '\n').join('') };
}
