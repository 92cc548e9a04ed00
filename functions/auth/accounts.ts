// Accounts (docs/api.md#accounts): sign-up, sign-in, sign-out, the signed-in person, password change. Parse → core
// (core/accounts.ts, core/passwords.ts) and the accounts store → map, with the session cookie set or cleared.
import { z } from 'zod';
import {
  clearedSessionCookie,
  emailProblem,
  hashSessionId,
  looksLikeSessionId,
  newCsrfToken,
  newSessionId,
  normaliseEmail,
  sessionCookie,
  sessionIdOfCookies,
  slugOfOrganization,
  type Role,
} from '../../core/accounts';
import { hashPassword, needsRehash, passwordProblem, PASSWORD_MAX_LENGTH, verifyPassword } from '../../core/passwords';
import { AppError, badRequest, conflict, forbidden, rateLimited, unauthorized } from '../../core/errors';
import { unstorableChar } from '../../core/event-validation';
import type { AuditAction, AuditEntry } from '../../core/audit-log';
import type { Adapters } from '../../adapters';
import { EmailTakenError } from '../../adapters/postgres/accounts-store';
import { json, type HttpResult } from '../http/middleware';
import type { HttpRequest } from '../http/request';
import { parseBody } from '../http/body-schema';
import { cookieIsSecure, requestCookies, type ActiveSession } from '../http/session';
import { sendVerification } from './mail';
import type { SessionRequest } from '../http/router';

export const AUTH_BODY_LIMIT = 16 * 1024;

export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => unstorableChar(s) === undefined, 'must be text without NUL characters or unpaired surrogates');

export const email = text(254)
  .transform(normaliseEmail)
  .superRefine((v, ctx) => {
    const problem = emailProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^email /, '') });
  });
// Long enough for any allowed password; the policy itself is checked where a password is set.
export const password = z
  .string()
  .min(1, 'must not be empty')
  .max(4 * PASSWORD_MAX_LENGTH, 'is too long');

export const signupSchema = z
  .object({
    email,
    password,
    organization: text(200).pipe(z.string().trim().min(1, 'must name your organization')),
    name: text(200).optional(),
  })
  .strict();

export const loginSchema = z.object({ email, password }).strict();

export const passwordChangeSchema = z.object({ current_password: password, new_password: password }).strict();

/** The answer of sign-up, sign-in and GET /v1/me. */
export interface SessionView {
  /** email_verified: whether the address is proven (docs/api.md#e-mail-verification). */
  user: { id: string; email: string; name: string | null; email_verified: boolean };
  role: Role;
  tenant: { id: string; slug: string; name: string };
  csrf_token: string;
  /** When the session ends at the latest, and when it ends if unused from now. */
  expires_at: string;
  idle_expires_at: string;
}

function sessionView(
  deps: Adapters,
  s: Pick<
    ActiveSession,
    'userId' | 'email' | 'name' | 'emailVerified' | 'role' | 'tenantId' | 'tenantSlug' | 'tenantName' | 'csrfToken'
  >,
  times: { createdAtMs: number; lastSeenAtMs: number },
): SessionView {
  const { sessionIdleMs, sessionAbsoluteMs } = deps.config.accounts;
  const end = times.createdAtMs + sessionAbsoluteMs;
  return {
    user: { id: s.userId, email: s.email, name: s.name, email_verified: s.emailVerified },
    role: s.role,
    tenant: { id: s.tenantId, slug: s.tenantSlug, name: s.tenantName },
    csrf_token: s.csrfToken,
    expires_at: new Date(end).toISOString(),
    idle_expires_at: new Date(Math.min(end, times.lastSeenAtMs + sessionIdleMs)).toISOString(),
  };
}

export function audit(
  deps: Adapters,
  tenantId: string,
  userId: string,
  action: AuditAction,
  after: Record<string, unknown> | null = null,
): AuditEntry {
  return {
    tenantId,
    atMs: deps.now(),
    actor: { kind: 'user', id: userId },
    action,
    target: userId,
    before: null,
    after,
  };
}

/**
 * A fresh session (a new random id, whatever the request carried: the id changes at every sign-in, so an id planted
 * before sign-in is worthless) and its Set-Cookie. A session the request still carried is ended.
 */
export async function startSession(
  deps: Adapters,
  request: HttpRequest,
  who: { tenantId: string; userId: string },
): Promise<{ csrfToken: string; cookie: string; nowMs: number }> {
  await endPresentedSession(deps, request);
  const { id, hash } = newSessionId();
  const csrfToken = newCsrfToken();
  const nowMs = deps.now();
  await deps.accounts.createSession({ idHash: hash, tenantId: who.tenantId, userId: who.userId, csrfToken, nowMs });
  const cookie = sessionCookie(id, {
    secure: cookieIsSecure(deps, request),
    maxAgeMs: deps.config.accounts.sessionAbsoluteMs,
  });
  return { csrfToken, cookie, nowMs };
}

async function endPresentedSession(deps: Adapters, request: HttpRequest): Promise<void> {
  let old: string | undefined;
  try {
    old = sessionIdOfCookies(requestCookies(request));
  } catch {
    return; // two cookies: neither is trusted, and the new one replaces them in the browser
  }
  if (old !== undefined && looksLikeSessionId(old)) await deps.accounts.deleteSession(hashSessionId(old));
}

/**
 * POST /v1/auth/signup: a tenant with its first project, its owner, and a session; a link to verify the address is
 * e-mailed (verification_emailed: false when the send failed: ask again with POST /v1/auth/verify-email/resend).
 */
export async function signup(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  if (deps.config.accounts.signup !== 'open')
    throw forbidden(
      'Sign-up is invite-only on this deployment; ask an admin of your organization to invite you.',
      'signup_closed',
    );
  const body = parseBody(signupSchema, request.body(AUTH_BODY_LIMIT));
  const problem = passwordProblem(body.password, body.email);
  if (problem) throw badRequest('weak_password', `${problem}.`, [{ field: 'password', message: problem }]);
  const passwordHash = await hashPassword(body.password, deps.config.accounts.scryptLogN);
  let created;
  try {
    created = await deps.accounts.createAccount(
      {
        email: body.email,
        name: body.name ?? null,
        passwordHash,
        organization: body.organization,
        tenantSlug: slugOfOrganization(body.organization),
        nowMs: deps.now(),
      },
      (c) => audit(deps, c.tenant.id, c.user.id, 'user.signup', { email: c.user.email, role: 'owner' }),
    );
  } catch (e) {
    if (e instanceof EmailTakenError)
      throw conflict(
        'email_taken',
        'An account with this e-mail address exists; sign in instead (POST /v1/auth/login).',
      );
    throw e;
  }
  const who = { tenantId: created.tenant.id, userId: created.user.id };
  const emailed = await sendVerification(deps, created.user);
  const started = await startSession(deps, request, who);
  const view = sessionView(
    deps,
    {
      ...who,
      email: created.user.email,
      name: created.user.name,
      emailVerified: false,
      role: 'owner',
      tenantSlug: created.tenant.slug,
      tenantName: created.tenant.name,
      csrfToken: started.csrfToken,
    },
    { createdAtMs: started.nowMs, lastSeenAtMs: started.nowMs },
  );
  return {
    ...json(201, { ...view, project: created.project, verification_emailed: emailed }),
    cookies: [started.cookie],
  };
}

const BAD_CREDENTIALS = 'The e-mail address or the password is wrong.';

// A hash to verify against when the address has no account, so that an unknown address costs the same scrypt work.
const decoys = new Map<number, Promise<string>>();
function decoyHash(logN: number): Promise<string> {
  let h = decoys.get(logN);
  if (!h) decoys.set(logN, (h = hashPassword(newCsrfToken(), logN)));
  return h;
}

/**
 * Checks an e-mail and password with the throttle: the same 401 (status, code, message, one scrypt) whether the
 * address has no account, the password is wrong, or the account has no tenant; 429 once over the limits.
 */
export async function checkCredentials(
  deps: Adapters,
  request: HttpRequest,
  emailAddress: string,
  pw: string,
): Promise<{ userId: string; passwordHash: string }> {
  const address = request.event.requestContext.http.sourceIp;
  const limited = await deps.loginThrottle.attempt(emailAddress, address);
  if (limited)
    throw rateLimited(
      'Too many failed sign-ins for this account or from this address; wait for Retry-After seconds, or reset the password.',
      Math.max(1, Math.ceil(limited.retryAfterMs / 1000)),
    );
  const user = await deps.accounts.findUserByEmail(emailAddress);
  const ok = await verifyPassword(pw, user?.passwordHash ?? (await decoyHash(deps.config.accounts.scryptLogN)));
  if (!user || !ok) throw unauthorized(BAD_CREDENTIALS);
  await deps.loginThrottle.succeeded(emailAddress, address);
  return { userId: user.id, passwordHash: user.passwordHash };
}

/** POST /v1/auth/login: a new session in the user's (first) tenant. */
export async function login(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  const body = parseBody(loginSchema, request.body(AUTH_BODY_LIMIT));
  const { userId, passwordHash } = await checkCredentials(deps, request, body.email, body.password);
  const membership = await deps.accounts.firstMembership(userId);
  if (!membership) throw unauthorized(BAD_CREDENTIALS);
  const logN = deps.config.accounts.scryptLogN;
  if (needsRehash(passwordHash, logN))
    await deps.accounts.rehashPassword(userId, await hashPassword(body.password, logN));
  const started = await startSession(deps, request, { tenantId: membership.tenantId, userId });
  await deps.auditLog.append(audit(deps, membership.tenantId, userId, 'user.login'));
  return { ...json(200, await viewOfCookie(deps, started)), cookies: [started.cookie] };
}

/** The view of a session just started, read back through the same join the router uses. */
export async function viewOfCookie(deps: Adapters, started: { cookie: string; nowMs: number }): Promise<SessionView> {
  const id = sessionIdOfCookies([started.cookie.split(';')[0]!])!;
  const s = await deps.accounts.findSession(hashSessionId(id));
  if (!s) throw unauthorized('The session ended at once; sign in again.');
  return sessionView(deps, s, { createdAtMs: started.nowMs, lastSeenAtMs: started.nowMs });
}

/** POST /v1/auth/logout: the session ends now (its row is deleted), and the browser drops the cookie. */
export async function logout(deps: Adapters, request: SessionRequest): Promise<HttpResult> {
  await deps.accounts.deleteSession(request.session.idHash);
  await deps.auditLog.append(audit(deps, request.session.tenantId, request.session.userId, 'user.logout'));
  return {
    ...json(200, { signed_out: true }),
    cookies: [clearedSessionCookie({ secure: cookieIsSecure(deps, request) })],
  };
}

/** GET /v1/me: the signed-in person, the role, the tenant and the CSRF token. */
export async function me(deps: Adapters, request: SessionRequest): Promise<HttpResult> {
  return json(200, sessionView(deps, request.session, request.session));
}

/** POST /v1/auth/password: a new password; every session of the user ends, and this request gets a new one. */
export async function changePassword(deps: Adapters, request: SessionRequest): Promise<HttpResult> {
  const body = parseBody(passwordChangeSchema, request.body(AUTH_BODY_LIMIT));
  const s = request.session;
  await checkCredentials(deps, request, s.email, body.current_password).catch((e: unknown) => {
    if (e instanceof AppError && e.kind === 'unauthorized')
      throw forbidden('current_password is wrong.', 'invalid_credentials');
    throw e;
  });
  const problem = passwordProblem(body.new_password, s.email);
  if (problem)
    throw badRequest('weak_password', `new_password: ${problem}.`, [{ field: 'new_password', message: problem }]);
  const logN = deps.config.accounts.scryptLogN;
  await deps.accounts.setPassword(s.userId, await hashPassword(body.new_password, logN), deps.now());
  await deps.auditLog.append(audit(deps, s.tenantId, s.userId, 'user.password_change'));
  const started = await startSession(deps, request, { tenantId: s.tenantId, userId: s.userId });
  return { ...json(200, await viewOfCookie(deps, started)), cookies: [started.cookie] };
}
