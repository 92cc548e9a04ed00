// The audit log (docs/api.md#audit-log): who did what, when, to what, with the state before and after.
// Append-only: the port has no update or delete, and the app role may not do either (migration 022).
import type { Principal } from './api-keys';
import { decodeCursorArray, invalidCursor } from './cursor';

export type AuditActorKind = 'api_key' | 'user' | 'system';

export interface AuditActor {
  kind: AuditActorKind;
  /** An API key id, a user id, or the platform part acting on its own ('erasure'). */
  id: string;
}

/** The actions recorded so far; dotted, object first. */
export type AuditAction =
  | 'person.erase'
  | 'person.erased'
  | 'person.export'
  | 'user.signup'
  | 'user.login'
  | 'user.logout'
  | 'user.password_change'
  | 'member.role_change'
  | 'member.remove'
  | 'invite.create'
  | 'invite.revoke'
  | 'invite.accept'
  | 'user.password_reset_request'
  | 'user.password_reset'
  | 'user.email_verify'
  | 'alert_rule.create'
  | 'alert_rule.update'
  | 'alert_rule.delete'
  | 'dashboard.create'
  | 'dashboard.update'
  | 'dashboard.delete'
  | 'catalog.update'
  | 'api_key.create'
  | 'api_key.revoke'
  | 'tenant.update'
  | 'project.create'
  | 'project.update'
  | 'sso.configure'
  | 'sso.delete';

export interface AuditEntry {
  tenantId: string;
  atMs: number;
  actor: AuditActor;
  action: AuditAction;
  /** What the action was done to (a person's id, a rule, dashboard, key or user id, `<project>/<event type>`, a project slug), or null. */
  target: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
}

/** The actor of a request: its API key, or the signed-in user of a session. */
export const keyActor = (principal: Principal): AuditActor =>
  principal.userId !== undefined ? { kind: 'user', id: principal.userId } : { kind: 'api_key', id: principal.keyId };

/** The operator, through the admin CLI or the admin function (`customersignal owner invite`). */
export const OPERATOR_ACTOR: AuditActor = { kind: 'system', id: 'operator' };

/** The platform's erasure job, finishing what a request started. */
export const ERASURE_ACTOR: AuditActor = { kind: 'system', id: 'erasure' };

/** The actor as one text (erasure_jobs.requested_by), and back. */
export const actorText = (a: AuditActor): string => `${a.kind}:${a.id}`;

/** A stored entry as GET /v1/audit-log lists it: its id (the order of recording) and, for a user, their e-mail. */
export interface StoredAuditEntry extends Omit<AuditEntry, 'tenantId' | 'atMs'> {
  id: string;
  at: Date;
  actorEmail: string | null;
}

/** The filters of GET /v1/audit-log (docs/api.md#audit-log); all optional. */
export interface AuditFilter {
  /** One action exactly, or, ending with a dot, every action it starts (`dashboard.`). */
  action?: string;
  actor?: AuditActor;
  target?: string;
  fromMs?: number;
  toMs?: number;
}

export interface AuditQuery extends AuditFilter {
  tenantId: string;
  /** Only entries recorded before this one (its id): the cursor. */
  beforeId?: string;
  limit: number;
}

export interface AuditReader {
  /** The tenant's entries, newest (highest id) first. */
  page(q: AuditQuery): Promise<StoredAuditEntry[]>;
}

/** Entry ids are Postgres bigints (identity): positive, at most 19 digits. */
const ENTRY_ID = /^[1-9]\d{0,18}$/;

/** The opaque cursor of GET /v1/audit-log: the id of the last entry listed. */
export const encodeAuditCursor = (lastId: string): string =>
  Buffer.from(JSON.stringify(['a1', lastId]), 'utf8').toString('base64url');

export function decodeAuditCursor(raw: string): string {
  const [, id] = decodeCursorArray(raw, 'a1', 2);
  if (typeof id !== 'string' || !ENTRY_ID.test(id) || BigInt(id) > 9_223_372_036_854_775_807n) throw invalidCursor();
  return id;
}

const ACTION_FILTER = /^[a-z][a-z_]*(?:\.[a-z][a-z_]*)*\.?$/;

/** The action filter, or a message saying what to send. */
export function actionFilterProblem(v: string): string | undefined {
  if (v.length > 100 || !ACTION_FILTER.test(v))
    return 'action is an action name (e.g. dashboard.update) or, ending with a dot, its prefix (e.g. dashboard.): lowercase letters and underscores in dotted parts, at most 100 characters.';
  return undefined;
}

const ACTOR_KINDS: readonly AuditActorKind[] = ['user', 'api_key', 'system'];

/** `user:<id>`, `api_key:<id>` or `system:<name>`, as entries' actors read; else a message saying what to send. */
export function parseActorFilter(v: string): AuditActor | { problem: string } {
  const i = v.indexOf(':');
  const kind = v.slice(0, Math.max(i, 0)) as AuditActorKind;
  const id = v.slice(i + 1);
  if (i < 0 || !ACTOR_KINDS.includes(kind) || id.length === 0 || id.length > 200 || !/^[\w.-]+$/.test(id))
    return {
      problem:
        'actor is user:<user id>, api_key:<key id> or system:<name> (e.g. api_key:0b9e4a0c-...), as an entry\u2019s actor kind and id.',
    };
  return { kind, id: id.toLowerCase() };
}

/** The entry of a change a request made: the principal's tenant and actor, at `atMs`. */
export const requestEntry = (
  principal: Principal,
  atMs: number,
  action: AuditAction,
  target: string | null,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): AuditEntry => ({ tenantId: principal.tenantId, atMs, actor: keyActor(principal), action, target, before, after });

/**
 * The entry of a change a request made to one object, as the log keeps it (`view`), or undefined when there is
 * nothing to record: no object before or after, or the same view before and after (saved unchanged).
 */
export function changeEntry<T>(
  principal: Principal,
  atMs: number,
  action: AuditAction,
  target: string,
  view: (object: T) => Record<string, unknown>,
  before: T | null,
  after: T | null,
): AuditEntry | undefined {
  const b = before && view(before);
  const a = after && view(after);
  if ((b === null && a === null) || (b !== null && a !== null && JSON.stringify(b) === JSON.stringify(a)))
    return undefined;
  return requestEntry(principal, atMs, action, target, b, a);
}
