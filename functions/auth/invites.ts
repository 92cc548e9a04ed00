// Invites (docs/api.md#invites): an admin invites an e-mail address with a role; the link (e-mailed, and returned
// as invite_url to copy) works once and expires; accepting it creates the account, or adds the membership to an
// existing account that proves its password, and starts a session. Works whatever SIGNUP_MODE is.
import { z } from 'zod';
import {
  hashLinkToken,
  inviteRefusal,
  inviteUrl,
  looksLikeLinkToken,
  newLinkToken,
  ROLES,
  type Role,
} from '../../core/accounts';
import type { Principal } from '../../core/api-keys';
import { actorText, keyActor } from '../../core/audit-log';
import { badRequest, conflict, forbidden, notFound } from '../../core/errors';
import { isUuid } from '../../core/ids';
import { hashPassword, passwordProblem } from '../../core/passwords';
import type { Adapters } from '../../adapters';
import { EmailTakenError, type Invite } from '../../adapters/postgres/accounts-store';
import { json, type HttpResult } from '../http/middleware';
import type { HttpRequest } from '../http/request';
import { parseBody } from '../http/body-schema';
import {
  AUTH_BODY_LIMIT,
  audit,
  checkCredentials,
  email,
  password,
  startSession,
  text,
  viewOfCookie,
} from './accounts';
import { sendInviteMail } from './mail';

export const createInviteSchema = z.object({ email, role: z.enum(ROLES) }).strict();

export const acceptInviteSchema = z.object({ token: text(200), password, name: text(200).optional() }).strict();

/** Used, revoked, expired or never issued: one answer, so the link's state is not revealed. */
export const INVALID_INVITE =
  'This invite link is not valid (it was already used, revoked or has expired); ask an admin of the organization for a new invite.';

const view = (i: Invite) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  created_at: i.createdAt.toISOString(),
  expires_at: i.expiresAt.toISOString(),
});

/** Invites are tenant-wide, like members: a key bound to one project may not make or see them. */
function actorRole(principal: Principal): Role {
  if (principal.projectId !== null)
    throw forbidden('Invites are to the whole tenant; use a key that is not bound to a project.');
  return principal.role ?? 'admin'; // an admin key acts as an admin
}

/** POST /v1/invites: 201 {id, email, role, created_at, expires_at, invite_url, emailed}. */
export async function postInvite(deps: Adapters, principal: Principal, body: unknown) {
  const actor = actorRole(principal);
  const b = parseBody(createInviteSchema, body);
  const refusal = inviteRefusal(actor, b.role);
  if (refusal) throw forbidden(refusal);
  if (await deps.accounts.isMember(principal.tenantId, b.email))
    throw conflict('already_member', `${b.email} is a member already; change their role with PATCH /v1/members/{id}.`);
  const { id: token, hash } = newLinkToken();
  const invite = await deps.accounts.createInvite(
    {
      tenantId: principal.tenantId,
      email: b.email,
      role: b.role,
      tokenHash: hash,
      invitedBy: actorText(keyActor(principal)),
      nowMs: deps.now(),
      ttlMs: deps.config.accounts.inviteTtlMs,
    },
    (i) => ({
      tenantId: principal.tenantId,
      atMs: deps.now(),
      actor: keyActor(principal),
      action: 'invite.create',
      target: i.id,
      before: null,
      after: { email: i.email, role: i.role, expires_at: i.expiresAt.toISOString() },
    }),
  );
  const link = inviteUrl(deps.config.accounts.appUrl, token);
  const emailed = await sendInviteMail(deps, {
    to: invite.email,
    organization: (await deps.accounts.tenantName(principal.tenantId)) ?? 'an organization',
    role: invite.role,
    link,
    expiresAt: invite.expiresAt,
  });
  return { ...view(invite), invite_url: link, emailed };
}

/** GET /v1/invites: the open invites (not accepted, revoked or expired), newest first. */
export async function getInvites(deps: Adapters, principal: Principal) {
  actorRole(principal);
  return { invites: (await deps.accounts.listOpenInvites(principal.tenantId, deps.now())).map(view) };
}

/** DELETE /v1/invites/{id}: the link stops working. */
export async function deleteInvite(deps: Adapters, principal: Principal, id: string) {
  const actor = actorRole(principal);
  const missing = () =>
    notFound(`No open invite ${JSON.stringify(id.slice(0, 60))} in this tenant; see GET /v1/invites.`);
  if (!isUuid(id)) throw missing();
  const revoked = await deps.accounts.revokeInvite(principal.tenantId, id.toLowerCase(), deps.now(), (i) => {
    // Same rule as inviting: only an owner touches an owner's invite.
    const refusal = inviteRefusal(actor, i.role);
    if (refusal) throw forbidden(refusal);
    return {
      tenantId: principal.tenantId,
      atMs: deps.now(),
      actor: keyActor(principal),
      action: 'invite.revoke',
      target: i.id,
      before: { email: i.email, role: i.role },
      after: null,
    };
  });
  if (!revoked) throw missing();
  return { id: revoked.id, revoked: true };
}

/**
 * POST /v1/auth/accept-invite: the invited address's new account (password and name), or, when the address has an
 * account, that account joins once `password` is its current password (401 otherwise, throttled like sign-in; an
 * existing account is never joined silently). A session in the inviting tenant starts (a new id).
 */
export async function acceptInvite(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  const body = parseBody(acceptInviteSchema, request.body(AUTH_BODY_LIMIT));
  const invalid = () => badRequest('invalid_invite', INVALID_INVITE, [{ field: 'token', message: INVALID_INVITE }]);
  if (!looksLikeLinkToken(body.token)) throw invalid();
  const tokenHash = hashLinkToken(body.token);
  const invite = await deps.accounts.findOpenInvite(tokenHash, deps.now());
  if (!invite) throw invalid();
  const existing = await deps.accounts.findUserByEmail(invite.email);
  let user: Parameters<typeof deps.accounts.acceptInvite>[0]['user'];
  if (existing) {
    await checkCredentials(deps, request, invite.email, body.password);
    user = { existingId: existing.id };
  } else {
    const problem = passwordProblem(body.password, invite.email);
    if (problem) throw badRequest('weak_password', `${problem}.`, [{ field: 'password', message: problem }]);
    const passwordHash = await hashPassword(body.password, deps.config.accounts.scryptLogN);
    user = { email: invite.email, name: body.name ?? null, passwordHash };
  }
  let accepted;
  try {
    accepted = await deps.accounts.acceptInvite({ tokenHash, nowMs: deps.now(), user }, (i, userId) =>
      audit(deps, i.tenantId, userId, 'invite.accept', {
        invite_id: i.id,
        email: i.email,
        role: i.role,
        new_account: !existing,
      }),
    );
  } catch (e) {
    if (e instanceof EmailTakenError)
      throw conflict('email_taken', 'An account with this address was just created; open the invite link again.');
    throw e;
  }
  if (accepted === 'gone') throw invalid();
  if (accepted === 'already_member')
    throw conflict('already_member', 'You are a member of this organization already; sign in (POST /v1/auth/login).');
  const started = await startSession(deps, request, { tenantId: accepted.invite.tenantId, userId: accepted.userId });
  return { ...json(201, await viewOfCookie(deps, started)), cookies: [started.cookie] };
}
