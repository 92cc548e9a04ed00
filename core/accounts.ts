// Accounts (docs/api.md#accounts): roles and what they may do, e-mail addresses, session ids and their expiry, the
// session cookie and the CSRF token. Pure; the stores are in adapters/postgres/accounts-store.ts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { badRequest } from './errors';

export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

/**
 * Whether a member with `role` may call a route that needs `required`. viewer reads; editor also changes dashboards,
 * alert rules and the catalog; admin also keys, members, settings and erasure; owner everything.
 */
export function roleAllows(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/** E-mail addresses are compared lower-cased and trimmed: one person, one account per deployment. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

// Deliberately loose (the mailer is the real check): one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

export function emailProblem(email: string): string | undefined {
  if (email.length > 254) return 'email must be at most 254 characters';
  return EMAIL.test(email) ? undefined : 'email must be an address such as ana@example.com';
}

/** A tenant slug made from an organization's name: lower-case letters, digits and dashes (core/tenants.ts). */
export function slugOfOrganization(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return base === '' ? 'org' : base;
}

// ── Sessions ──

/** The opaque session id (256 random bits) and what is stored of it (sha256). */
export function newSessionId(): { id: string; hash: Buffer } {
  const id = randomBytes(32).toString('base64url');
  return { id, hash: hashSessionId(id) };
}

export function hashSessionId(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}

export const looksLikeSessionId = (v: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(v);

export const newCsrfToken = (): string => randomBytes(32).toString('base64url');

/** Constant-time equality of two texts (a presented CSRF token and the session's). */
export function textsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare digests so unequal lengths take the same time as equal ones.
  const dx = createHash('sha256').update(x).digest();
  const dy = createHash('sha256').update(y).digest();
  return timingSafeEqual(dx, dy) && x.length === y.length;
}

export interface SessionTimes {
  createdAtMs: number;
  lastSeenAtMs: number;
}

export interface SessionLimits {
  /** Ends a session not used for this long. */
  idleMs: number;
  /** Ends a session this long after sign-in, however much it is used. */
  absoluteMs: number;
}

/** 'live', or why the session is over. */
export function sessionState(s: SessionTimes, nowMs: number, limits: SessionLimits): 'live' | 'idle' | 'expired' {
  if (nowMs - s.createdAtMs >= limits.absoluteMs) return 'expired';
  if (nowMs - s.lastSeenAtMs >= limits.idleMs) return 'idle';
  return 'live';
}

/** last_seen_at is written at most this often (a write per request would be a write per dashboard tile). */
export const TOUCH_EVERY_MS = 60_000;

// ── The cookie ──

export const SESSION_COOKIE = 'cs_session';

/** Set-Cookie of a new session: HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS; lives as long as the session may. */
export function sessionCookie(id: string, opts: { secure: boolean; maxAgeMs: number }): string {
  return [
    `${SESSION_COOKIE}=${id}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(opts.secure ? ['Secure'] : []),
    `Max-Age=${Math.floor(opts.maxAgeMs / 1000)}`,
  ].join('; ');
}

/** Set-Cookie that makes the browser drop the session cookie. */
export function clearedSessionCookie(opts: { secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(opts.secure ? ['Secure'] : []),
    'Max-Age=0',
  ].join('; ');
}

/**
 * The session id in the request's cookies (API Gateway v2 gives them as `name=value` strings), or undefined. Two
 * different session cookies (one set for a parent domain, say) are refused rather than guessed between.
 */
export function sessionIdOfCookies(cookies: readonly string[]): string | undefined {
  const values = new Set(sessionCookieValues(cookies).filter((v) => v !== ''));
  if (values.size > 1)
    throw badRequest(
      'ambiguous_credentials',
      `The request carries ${values.size} different ${SESSION_COOKIE} cookies; sign in again.`,
    );
  return [...values][0];
}

/** Every value (trimmed, empty ones included) of a cookie named SESSION_COOKIE, whitespace around the name ignored. */
export function sessionCookieValues(cookies: readonly string[]): string[] {
  const values: string[] = [];
  for (const c of cookies) {
    for (const part of c.split(';')) {
      const eq = part.indexOf('=');
      if (eq >= 0 && part.slice(0, eq).trim() === SESSION_COOKIE) values.push(part.slice(eq + 1).trim());
    }
  }
  return values;
}

// ── Throttling failed sign-ins ──

/** Counts sign-in attempts per account and per client address (docs/security.md#throttling). */
export interface LoginThrottle {
  /**
   * Counts one attempt for the account (its normalised e-mail, known or not) and the address; when either is over its
   * limit in the current window, returns how long until the window ends, else null.
   */
  attempt(email: string, address: string): Promise<{ retryAfterMs: number } | null>;
  /** A successful sign-in: the account's count starts over, and the attempt is not held against the address. */
  succeeded(email: string, address: string): Promise<void>;
}

/** The fixed window `nowMs` falls in, and the milliseconds until it ends. */
export function throttleWindow(nowMs: number, windowMs: number): { index: number; remainingMs: number } {
  const index = Math.floor(nowMs / windowMs);
  return { index, remainingMs: (index + 1) * windowMs - nowMs };
}

// ── Members ──

/**
 * Whether `actor` (a member's role, or 'admin' for an admin key) may give `target` role `to` (null: remove it).
 * Only an owner makes, changes or removes an owner; the last owner is kept by the store (docs/api.md#members).
 */
export function memberChangeRefusal(actor: Role, from: Role, to: Role | null): string | undefined {
  if (!roleAllows(actor, 'admin')) return 'Managing members needs the admin role or above.';
  if ((from === 'owner' || to === 'owner') && actor !== 'owner')
    return 'Only an owner may make, change or remove an owner.';
  return undefined;
}

// ── Invite, password-reset and e-mail verification links ──

/**
 * A link's single-use token (256 random bits, base64url) and what is stored of it (sha256, like a session id). The
 * token travels in the link's fragment (#token=...), which browsers send to no server and put in no Referer.
 */
export const newLinkToken = newSessionId;
export const hashLinkToken = hashSessionId;
export const looksLikeLinkToken = looksLikeSessionId;

export function inviteUrl(appUrl: string, token: string): string {
  return `${appUrl}/accept-invite#token=${token}`;
}

export function resetUrl(appUrl: string, token: string): string {
  return `${appUrl}/reset-password#token=${token}`;
}

/** Whether `actor` may invite someone as `role`: admin and above; only an owner invites an owner (as for members). */
export function inviteRefusal(actor: Role, role: Role): string | undefined {
  if (!roleAllows(actor, 'admin')) return 'Inviting members needs the admin role or above.';
  if (role === 'owner' && actor !== 'owner') return 'Only an owner may invite an owner.';
  return undefined;
}

// ── E-mail verification ──

export function verifyEmailUrl(appUrl: string, token: string): string {
  return `${appUrl}/verify-email#token=${token}`;
}

/** What an account whose address is not verified yet gets instead of the routes that need one. */
export const EMAIL_UNVERIFIED_MESSAGE =
  'Verify your e-mail address first: open the link we e-mailed you at sign-up, or ask for a new one (POST /v1/auth/verify-email/resend).';

// The routes that reach beyond the signed-in person's own reading and building: they hand out credentials (API keys,
// invites, SSO) or move people's data out (erasure, export). docs/api.md#e-mail-verification.
const NEEDS_VERIFIED_EMAIL: ReadonlySet<string> = new Set([
  'POST /v1/invites',
  'POST /v1/api-keys',
  'DELETE /v1/users/{id}',
  'GET /v1/users/{id}/export',
]);

/**
 * Why a signed-in person whose address is unverified may not call the route (its table key, "METHOD /path"), or
 * undefined when they may. Any change to single sign-on (a path with an "sso" segment, any method but GET) needs a
 * verified address too. Applies to session cookies only: an API key is not a person's address.
 */
export function emailVerificationRefusal(routeKey: string, emailVerified: boolean): string | undefined {
  if (emailVerified) return undefined;
  const [method = '', path = ''] = routeKey.split(' ');
  const sso = method !== 'GET' && /\/sso(\/|$)/.test(path);
  return NEEDS_VERIFIED_EMAIL.has(routeKey) || sso ? EMAIL_UNVERIFIED_MESSAGE : undefined;
}
