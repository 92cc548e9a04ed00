// Single sign-on with OpenID Connect (docs/api.md#single-sign-on-sso, docs/security.md#single-sign-on): a tenant's
// issuer configuration, the sign-in transaction, and the checks on what the issuer says about the person. Pure; the
// stores are adapters/postgres/sso-store.ts and adapters/redis/sso-transactions.ts, the OIDC client adapters/oidc/.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './accounts';

/** Roles SSO may give a person it provisions: never owner (an owner is made by an owner, docs/api.md#members). */
export const SSO_ROLES = ['viewer', 'editor', 'admin'] as const satisfies readonly Role[];
export type SsoRole = (typeof SSO_ROLES)[number];

/** A tenant's OIDC issuer configuration, with the client secret in clear (only in memory). */
export interface SsoConfig {
  tenantId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  allowedDomains: string[];
  defaultRole: SsoRole;
  enabled: boolean;
}

/**
 * Every way a sign-in can fail, as the browser sees it: 302 to <APP_URL>/sign-in#sso_error=<code>. The dashboard
 * shows a message per code (docs/api.md#sso-error-codes).
 */
export const SSO_ERRORS = [
  'invalid_request', // the start or callback URL is malformed (missing or over-long parameters)
  'sso_not_configured', // the organization is unknown, has no SSO, or SSO is disabled
  'invalid_return_to', // return_to is not a path of this app
  'issuer_unavailable', // the issuer's discovery or token endpoint could not be used
  'invalid_state', // unknown, expired, replayed, or not this browser's transaction
  'access_denied', // the issuer refused or the person cancelled (error=... on the callback)
  'invalid_token', // the code exchange or the ID token failed a check (signature, iss, aud, exp, nonce)
  'email_missing', // the ID token has no e-mail address
  'email_not_verified', // the issuer does not say the address is verified
  'domain_not_allowed', // the address's domain is not one the tenant allows
  'temporarily_unavailable', // a backing service failed; try again
] as const;
export type SsoError = (typeof SSO_ERRORS)[number];

export class SsoFailure extends Error {
  override name = 'SsoFailure';
  constructor(
    readonly code: SsoError,
    message: string = code,
  ) {
    super(message);
  }
}

/** The redirect URI registered at the issuer: the callback on the app's own origin. */
export const ssoRedirectUri = (appUrl: string): string => `${appUrl}/v1/auth/sso/callback`;

/** Where a failed sign-in lands: the sign-in page, with the code in the fragment (sent to no server, no Referer). */
export const ssoErrorUrl = (appUrl: string, code: SsoError): string => `${appUrl}/sign-in#sso_error=${code}`;

export const RETURN_TO_MAX = 512;

/**
 * The path a sign-in returns to, or undefined when it is not a same-origin relative path: it must start with one
 * "/", not "//" or "/\" (a scheme-relative URL to another host), hold no backslash, control character or whitespace,
 * and resolve on the app's own origin. Empty means "/".
 */
export function safeReturnTo(raw: string | null, appUrl: string): string | undefined {
  if (raw === null || raw === '') return '/';
  if (raw.length > RETURN_TO_MAX) return undefined;
  if (!raw.startsWith('/') || raw.startsWith('//')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\\\s\u0000-\u001f\u007f]/.test(raw) || /\p{Cs}/u.test(raw)) return undefined;
  let resolved: URL;
  let base: URL;
  try {
    base = new URL(appUrl);
    resolved = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (resolved.origin !== base.origin) return undefined;
  return raw;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** A problem with an allowed domain (lower-case DNS name such as example.com, no "@", no wildcard), or undefined. */
export function domainProblem(domain: string): string | undefined {
  return DOMAIN.test(domain)
    ? undefined
    : `${JSON.stringify(domain.slice(0, 80))} is not a domain name such as example.com (lower-case, no "@" or wildcard)`;
}

/** The domain of an address, lower-cased; exact match only (a subdomain must be listed itself). */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export function domainAllowed(email: string, allowed: readonly string[]): boolean {
  return allowed.includes(emailDomain(email));
}

/** A problem with an issuer URL before any request, or undefined. https, or http on loopback when the policy allows. */
export function issuerProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'issuer must be an absolute https URL, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'issuer must be an https URL';
  if (url.username || url.password) return 'issuer must not carry credentials';
  if (url.search || url.hash) return 'issuer must not have a query or fragment';
  return undefined;
}

// ── The sign-in transaction ──

/** What GET /v1/auth/sso/start keeps server-side (Redis, single use, short TTL) under the hash of `state`. */
export interface SsoTransaction {
  tenantId: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** sha256 (base64url) of the browser-binding cookie's value. */
  bindingHash: string;
}

export interface SsoTransactions {
  /** Keeps the transaction for `ttlMs`. */
  put(stateHash: string, tx: SsoTransaction, ttlMs: number): Promise<void>;
  /** Takes the transaction (it is deleted in the same step: a replayed state finds nothing). */
  take(stateHash: string): Promise<SsoTransaction | undefined>;
}

export const SSO_TRANSACTION_TTL_MS = 10 * 60_000;

/** The cookie that binds a transaction to the browser that started it (HttpOnly, Lax, only on the callback's path). */
export const SSO_COOKIE = 'cs_sso';
const SSO_COOKIE_PATH = '/v1/auth/sso';

export const newBinding = (): string => randomBytes(32).toString('base64url');
export const digest = (v: string): string => createHash('sha256').update(v, 'utf8').digest('base64url');

export function ssoCookie(value: string, opts: { secure: boolean }): string {
  return [
    `${SSO_COOKIE}=${value}`,
    `Path=${SSO_COOKIE_PATH}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(opts.secure ? ['Secure'] : []),
    `Max-Age=${Math.floor(SSO_TRANSACTION_TTL_MS / 1000)}`,
  ].join('; ');
}

export function clearedSsoCookie(opts: { secure: boolean }): string {
  return [
    `${SSO_COOKIE}=`,
    `Path=${SSO_COOKIE_PATH}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(opts.secure ? ['Secure'] : []),
    'Max-Age=0',
  ].join('; ');
}

/** Every value of the binding cookie in the request's cookies. */
export function ssoCookieValues(cookies: readonly string[]): string[] {
  const values: string[] = [];
  for (const c of cookies)
    for (const part of c.split(';')) {
      const eq = part.indexOf('=');
      if (eq >= 0 && part.slice(0, eq).trim() === SSO_COOKIE) values.push(part.slice(eq + 1).trim());
    }
  return values;
}

/** Whether one of the presented cookie values hashes to the transaction's binding (constant time per value). */
export function bindingMatches(values: readonly string[], bindingHash: string): boolean {
  const want = Buffer.from(bindingHash, 'utf8');
  let ok = false;
  for (const v of values) {
    const got = Buffer.from(digest(v), 'utf8');
    if (got.length === want.length && timingSafeEqual(got, want)) ok = true;
  }
  return ok;
}

/** A random state, nonce or PKCE code verifier (256 bits, base64url: 43 characters, as RFC 7636 allows). */
export const newOpaque = (): string => randomBytes(32).toString('base64url');

/** A state or code as the callback accepts it: base64url-ish, bounded. */
export const looksLikeOpaque = (v: string | null, max = 2048): v is string =>
  v !== null && v.length > 0 && v.length <= max && /^[A-Za-z0-9._~+/=-]+$/.test(v);

// ── What the issuer says ──

/** The claims a sign-in needs from a verified ID token (or the UserInfo endpoint). */
export interface SsoIdentity {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
}

/** The person's normalised address, or the failure: present, verified, and in an allowed domain. */
export function admissibleEmail(id: SsoIdentity, allowed: readonly string[], normalise: (e: string) => string): string {
  if (id.email === undefined || id.email === '') throw new SsoFailure('email_missing');
  if (!id.emailVerified) throw new SsoFailure('email_not_verified');
  const email = normalise(id.email);
  if (!/^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) throw new SsoFailure('email_missing');
  if (!domainAllowed(email, allowed)) throw new SsoFailure('domain_not_allowed');
  return email;
}

/** The OpenID Connect relying party, as the handlers use it (adapters/oidc/client.ts). */
export interface OidcClient {
  /** Discovery of the issuer (its metadata names the same issuer); throws SsoFailure('issuer_unavailable') with why. */
  check(issuer: string): Promise<void>;
  /** The authorization URL for a transaction (response_type=code, scope openid email profile, PKCE S256). */
  authorizationUrl(
    cfg: SsoConfig,
    p: { redirectUri: string; state: string; nonce: string; codeVerifier: string },
  ): Promise<string>;
  /** Exchanges the code and verifies the ID token (signature by JWKS, iss, aud, exp, iat, nonce); SsoFailure else. */
  exchange(
    cfg: SsoConfig,
    p: { callbackUrl: string; state: string; nonce: string; codeVerifier: string },
  ): Promise<SsoIdentity>;
}
