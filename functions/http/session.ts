// Session cookies at the HTTP edge (docs/api.md#accounts): the cookie → the stored session → its expiry → the
// principal; the CSRF check of cookie requests that change something; whether the cookie is marked Secure.
import {
  hashSessionId,
  looksLikeSessionId,
  sessionCookieValues,
  sessionIdOfCookies,
  sessionState,
  textsEqual,
  TOUCH_EVERY_MS,
} from '../../core/accounts';
import type { Principal } from '../../core/api-keys';
import { forbidden, unauthorized } from '../../core/errors';
import type { Adapters } from '../../adapters';
import { appendLogKeys } from '../../adapters/logger';
import type { HttpRequest } from './request';
import type { StoredSession } from '../../adapters/postgres/accounts-store';

/** The session a request's cookie names, as a route sees it: the stored session with its times in ms. */
export type ActiveSession = Omit<StoredSession, 'createdAt' | 'lastSeenAt'> & {
  idHash: Buffer;
  createdAtMs: number;
  lastSeenAtMs: number;
};

const SIGN_IN_AGAIN = 'The session has ended (signed out, expired, or its password changed); sign in again.';

/** The request's cookies: API Gateway v2 passes them in `cookies`; a Cookie header is read too. */
export function requestCookies(request: HttpRequest): string[] {
  const cookies = request.event.cookies ?? [];
  if (cookies.length > 0) return cookies;
  const header = request.headers()['cookie'];
  return header ? [header] : [];
}

/**
 * True when the request carries a session cookie (well-formed or not): a name read as sessionIdOfCookies reads it
 * (whitespace around it ignored), so a cookie that signs in on the session routes is a session on the keyed ones too.
 */
export function hasSessionCookie(request: HttpRequest): boolean {
  return sessionCookieValues(requestCookies(request)).length > 0;
}

/** The live session of the request's cookie, or 401. Ends an expired one; records use at most once a minute. */
export async function resolveSession(deps: Adapters, request: HttpRequest): Promise<ActiveSession> {
  const id = sessionIdOfCookies(requestCookies(request));
  if (id === undefined) throw unauthorized('Sign in first (POST /v1/auth/login), or send an API key.');
  if (!looksLikeSessionId(id)) throw unauthorized(SIGN_IN_AGAIN);
  const idHash = hashSessionId(id);
  const stored = await deps.accounts.findSession(idHash);
  if (!stored) throw unauthorized(SIGN_IN_AGAIN);
  const now = deps.now();
  const session: ActiveSession = {
    idHash,
    tenantId: stored.tenantId,
    tenantSlug: stored.tenantSlug,
    tenantName: stored.tenantName,
    userId: stored.userId,
    email: stored.email,
    name: stored.name,
    role: stored.role,
    emailVerified: stored.emailVerified,
    csrfToken: stored.csrfToken,
    createdAtMs: stored.createdAt.getTime(),
    lastSeenAtMs: stored.lastSeenAt.getTime(),
  };
  const { sessionIdleMs: idleMs, sessionAbsoluteMs: absoluteMs } = deps.config.accounts;
  if (sessionState(session, now, { idleMs, absoluteMs }) !== 'live') {
    await deps.accounts.deleteSession(idHash);
    throw unauthorized(SIGN_IN_AGAIN);
  }
  if (now - session.lastSeenAtMs >= TOUCH_EVERY_MS) {
    await deps.accounts.touchSession(idHash, now);
    session.lastSeenAtMs = now;
  }
  appendLogKeys({ tenant_id: session.tenantId, user_id: session.userId });
  return session;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie request that changes something (any method but GET, HEAD and OPTIONS) must carry the session's CSRF
 * token in X-CSRF-Token: a cross-site page can make the browser send the cookie, but cannot read the token.
 */
export function requireCsrf(request: HttpRequest, session: ActiveSession): void {
  if (SAFE_METHODS.has(request.event.requestContext.http.method.toUpperCase())) return;
  const presented = request.headers()['x-csrf-token'];
  if (presented === undefined || !textsEqual(presented.trim(), session.csrfToken))
    throw forbidden(
      'A signed-in request that changes something needs the X-CSRF-Token header with the csrf_token from sign-in or GET /v1/me.',
      'csrf_token_invalid',
    );
}

/**
 * The principal of a session: its tenant, no project binding. The router has checked the member's role against the
 * route; the handlers' own scope checks (requireScope 'admin' on every change) then pass for editors and above.
 */
export function principalOfSession(s: ActiveSession): Principal {
  return {
    tenantId: s.tenantId,
    keyId: `user:${s.userId}`,
    userId: s.userId,
    role: s.role,
    scopes: s.role === 'viewer' ? ['read'] : ['admin'],
    projectId: null,
    projectSlug: null,
  };
}

/**
 * Whether the Set-Cookie gets Secure: always/never by SESSION_COOKIE_SECURE, or (auto) when the request came over
 * HTTPS as X-Forwarded-Proto says (API Gateway sets it; a client that fakes it locally only makes its own cookie
 * stricter).
 */
export function cookieIsSecure(deps: Adapters, request: HttpRequest): boolean {
  const mode = deps.config.accounts.cookieSecure;
  if (mode !== 'auto') return mode === 'always';
  return (request.headers()['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase() === 'https';
}
