// The audit log (docs/api.md#erasure-and-access): who did what, when, to what, with the state before and after.
// Append-only: the port has no update or delete, and the app role may not do either (migration 022).
import type { Principal } from './api-keys';

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
  | 'user.email_verify';

export interface AuditEntry {
  tenantId: string;
  atMs: number;
  actor: AuditActor;
  action: AuditAction;
  /** What the action was done to (a person's id), or null. */
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

/** The platform's erasure job, finishing what a request started. */
export const ERASURE_ACTOR: AuditActor = { kind: 'system', id: 'erasure' };

/** The actor as one text (erasure_jobs.requested_by), and back. */
export const actorText = (a: AuditActor): string => `${a.kind}:${a.id}`;
