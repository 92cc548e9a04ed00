// GET /v1/audit-log (docs/api.md#audit-log): the tenant's audit entries, newest first, cursor-paged and filtered.
// Admin sessions and admin keys of the whole tenant; the tenant is the credential's. Parse → the reader → map.
import type { Principal } from '../../core/api-keys';
import {
  actionFilterProblem,
  decodeAuditCursor,
  encodeAuditCursor,
  parseActorFilter,
  type AuditQuery,
  type StoredAuditEntry,
} from '../../core/audit-log';
import { badRequest, forbidden } from '../../core/errors';
import { unstorableChar } from '../../core/event-validation';
import type { Adapters } from '../../adapters';
import { singleParam, timeParam } from '../http/request';

export const AUDIT_DEFAULT_LIMIT = 50;
export const AUDIT_MAX_LIMIT = 200;
const PARAMS = new Set(['limit', 'cursor', 'action', 'actor', 'target', 'from', 'to']);

const invalid = (message: string) => badRequest('invalid_parameter', message);

function limitParam(params: URLSearchParams): number {
  const raw = singleParam(params, 'limit');
  if (raw === null || raw === '') return AUDIT_DEFAULT_LIMIT;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > AUDIT_MAX_LIMIT)
    throw invalid(`limit must be a whole number from 1 to ${AUDIT_MAX_LIMIT} (entries per page).`);
  return Number(raw);
}

/** The query of a request; every problem is a 400 saying what to send. */
export function auditQueryOf(tenantId: string, params: URLSearchParams): AuditQuery {
  for (const name of params.keys())
    if (!PARAMS.has(name))
      throw invalid(
        `Unknown query parameter ${JSON.stringify(name.slice(0, 60))}; GET /v1/audit-log takes ${[...PARAMS].join(', ')}.`,
      );
  const q: AuditQuery = { tenantId, limit: limitParam(params) };
  const cursor = singleParam(params, 'cursor');
  if (cursor) q.beforeId = decodeAuditCursor(cursor);
  const action = singleParam(params, 'action');
  if (action) {
    const problem = actionFilterProblem(action);
    if (problem) throw invalid(problem);
    q.action = action;
  }
  const actor = singleParam(params, 'actor');
  if (actor) {
    const parsed = parseActorFilter(actor);
    if ('problem' in parsed) throw invalid(parsed.problem);
    q.actor = parsed;
  }
  const target = singleParam(params, 'target');
  if (target) {
    if (target.length > 512 || unstorableChar(target) !== undefined)
      throw invalid(
        'target is what an entry acted on (a person, user, key, rule or dashboard id, a project slug, or <project>/<event type>): at most 512 characters of valid UTF-8.',
      );
    q.target = target;
  }
  const fromMs = timeParam(params, 'from');
  const toMs = timeParam(params, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw invalid('from must be earlier than to.');
  if (fromMs !== undefined) q.fromMs = fromMs;
  if (toMs !== undefined) q.toMs = toMs;
  return q;
}

function entryView(e: StoredAuditEntry) {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor: { kind: e.actor.kind, id: e.actor.id, ...(e.actorEmail !== null ? { email: e.actorEmail } : {}) },
    action: e.action,
    target: e.target,
    before: e.before,
    after: e.after,
  };
}

export async function getAuditLog(deps: Adapters, principal: Principal, params: URLSearchParams) {
  // Like members: the log is the whole tenant's, so a key bound to one project may not read it.
  if (principal.projectId !== null)
    throw forbidden('The audit log belongs to the whole tenant; use a key that is not bound to a project.');
  const q = auditQueryOf(principal.tenantId, params);
  const entries = await deps.auditLog.page(q);
  const last = entries[entries.length - 1];
  return {
    entries: entries.map(entryView),
    next_cursor: entries.length === q.limit && last ? encodeAuditCursor(last.id) : null,
  };
}
