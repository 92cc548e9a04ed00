// Single sign-on with OpenID Connect (docs/api.md#single-sign-on-sso): the tenant's issuer configuration (GET, PUT,
// DELETE /v1/sso) and the browser's sign-in (GET /v1/auth/sso/start, /v1/auth/sso/callback): authorization code flow
// with PKCE S256, state and nonce; the transaction is kept in Redis (single use, 10 minutes) and bound to the browser
// by an HttpOnly cookie. The sign-in routes always answer 302: to the issuer, to the app, or to the sign-in page with
// #sso_error=<code>; never a 5xx, and never a token in a log line.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { normaliseEmail, roleAllows, type Role } from '../../core/accounts';
import type { Principal } from '../../core/api-keys';
import { AppError, badRequest, conflict, forbidden } from '../../core/errors';
import { keyActor, requestEntry, type AuditEntry } from '../../core/audit-log';
import { hashPassword } from '../../core/passwords';
import {
  admissibleEmail,
  bindingMatches,
  clearedSsoCookie,
  digest,
  domainProblem,
  issuerProblem,
  looksLikeOpaque,
  newBinding,
  newOpaque,
  safeReturnTo,
  ssoCookie,
  ssoCookieValues,
  ssoErrorUrl,
  ssoRedirectUri,
  SsoFailure,
  SSO_ROLES,
  SSO_TRANSACTION_TTL_MS,
  type SsoConfig,
  type SsoError,
} from '../../core/sso';
import type { Adapters } from '../../adapters';
import { SsoKeyMissing, type SsoConfigView } from '../../adapters/postgres/sso-store';
import { logger } from '../../adapters/logger';
import type { HttpResult } from '../http/middleware';
import type { HttpRequest } from '../http/request';
import { parseBody } from '../http/body-schema';
import { cookieIsSecure, requestCookies } from '../http/session';
import { audit, startSession, text } from './accounts';

export const SSO_BODY_LIMIT = 16 * 1024;

const nonEmpty = (max: number, what: string) => text(max).pipe(z.string().trim().min(1, `must name the ${what}`));

export const ssoConfigSchema = z
  .object({
    issuer: nonEmpty(500, 'issuer').superRefine((v, ctx) => {
      const problem = issuerProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^issuer /, '') });
    }),
    client_id: nonEmpty(255, 'client id the issuer gave this app'),
    client_secret: nonEmpty(1024, 'client secret the issuer gave this app').optional(),
    allowed_domains: z
      .array(
        text(253)
          .transform((d) => d.trim().toLowerCase())
          .superRefine((d, ctx) => {
            const problem = domainProblem(d);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .min(1, 'must list at least one e-mail domain, such as example.com')
      .max(50, 'must list at most 50 domains'),
    default_role: z.enum(SSO_ROLES),
    enabled: z.boolean().default(true),
  })
  .strict();

/** SSO is tenant-wide, like members: a key bound to one project may not see or change it. */
function actorRole(principal: Principal): Role {
  if (principal.projectId !== null)
    throw forbidden('Single sign-on is configured for the whole tenant; use a key that is not bound to a project.');
  return principal.role ?? 'admin'; // an admin key acts as an admin
}

const notConfigured = () =>
  new AppError(
    'not_found',
    'sso_not_configured',
    'This organization has no single sign-on configuration; create one with PUT /v1/sso.',
  );

function viewOf(deps: Adapters, c: SsoConfigView) {
  return {
    issuer: c.issuer,
    client_id: c.clientId,
    allowed_domains: c.allowedDomains,
    default_role: c.defaultRole,
    enabled: c.enabled,
    redirect_uri: ssoRedirectUri(deps.config.accounts.appUrl),
  };
}

/** GET /v1/sso: the configuration without its secret, or 404 sso_not_configured. */
export async function getSso(deps: Adapters, principal: Principal) {
  actorRole(principal);
  const c = await deps.sso.view(principal.tenantId);
  if (!c) throw notConfigured();
  return viewOf(deps, c);
}

/**
 * PUT /v1/sso: creates or replaces the configuration after the issuer's discovery succeeded. Admin and above; a
 * default_role of admin needs an owner (it makes an admin of everyone in the allowed domains). client_secret may be
 * left out only to keep the stored one for the same issuer and client id.
 */
export async function putSso(deps: Adapters, principal: Principal, body: unknown) {
  const actor = actorRole(principal);
  const b = parseBody(ssoConfigSchema, body);
  if (b.default_role === 'admin' && actor !== 'owner')
    throw forbidden(
      'Only an owner may make admin the default role of single sign-on (everyone in the allowed domains would become an admin); choose editor or viewer, or ask an owner.',
    );
  if (!deps.sso.canSeal())
    throw conflict(
      'sso_unavailable',
      'This deployment cannot store client secrets: an operator must set SSO_SECRET_KEY (docs/security.md#single-sign-on).',
    );
  let secret = b.client_secret;
  if (secret === undefined) {
    const current = await deps.sso.load(principal.tenantId);
    if (!current || current.issuer !== b.issuer || current.clientId !== b.client_id)
      throw badRequest(
        'invalid_body',
        'client_secret is required when single sign-on is first configured or its issuer or client_id changes.',
        [{ field: 'client_secret', message: 'is required' }],
      );
    secret = current.clientSecret;
  }
  try {
    await deps.oidc.check(b.issuer);
  } catch (e) {
    if (!(e instanceof SsoFailure)) throw e;
    const message = `The issuer ${JSON.stringify(b.issuer)} failed OpenID Connect discovery: ${e.message}. It must serve ${b.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration over https, naming itself as "issuer" exactly.`;
    throw badRequest('invalid_issuer', message, [{ field: 'issuer', message }]);
  }
  const cfg: SsoConfig = {
    tenantId: principal.tenantId,
    issuer: b.issuer,
    clientId: b.client_id,
    clientSecret: secret,
    allowedDomains: [...new Set(b.allowed_domains)],
    defaultRole: b.default_role,
    enabled: b.enabled,
  };
  const saved = await deps.sso.put(cfg, deps.now(), (before) =>
    ssoAudit(deps, principal, 'sso.configure', before ?? null, {
      ...ssoAuditView(cfg),
      // Never the secret, only whether this change set a new one.
      client_secret_changed: b.client_secret !== undefined,
    }),
  );
  logger.info('sso configured', { tenant_id: principal.tenantId, actor: keyActor(principal).kind });
  return viewOf(deps, saved);
}

/** DELETE /v1/sso: single sign-on stops at once (transactions in flight fail with sso_not_configured). */
export async function deleteSso(deps: Adapters, principal: Principal) {
  const actor = actorRole(principal);
  const current = await deps.sso.view(principal.tenantId);
  if (!current) throw notConfigured();
  if (current.defaultRole === 'admin' && !roleAllows(actor, 'owner'))
    throw forbidden('Only an owner may remove a single sign-on configuration whose default role is admin.');
  const removed = await deps.sso.remove(principal.tenantId, (before) =>
    ssoAudit(deps, principal, 'sso.delete', before, null),
  );
  if (!removed) throw notConfigured();
  return { deleted: true };
}

/** What the audit log keeps of a configuration: everything but the secret. */
const ssoAuditView = (c: Omit<SsoConfig, 'clientSecret'>): Record<string, unknown> => ({
  issuer: c.issuer,
  client_id: c.clientId,
  allowed_domains: c.allowedDomains,
  default_role: c.defaultRole,
  enabled: c.enabled,
});

const ssoAudit = (
  deps: Adapters,
  principal: Principal,
  action: 'sso.configure' | 'sso.delete',
  before: Omit<SsoConfig, 'clientSecret'> | null,
  after: Record<string, unknown> | null,
): AuditEntry => requestEntry(principal, deps.now(), action, null, before && ssoAuditView(before), after);

// ── The browser's sign-in ──

function redirect(location: string, cookies: string[] = []): HttpResult {
  return {
    statusCode: 302,
    headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
    body: '',
    cookies,
  };
}

function failed(deps: Adapters, request: HttpRequest, code: SsoError, tenantId?: string): HttpResult {
  logger.info('sso sign-in failed', { sso_error: code, ...(tenantId && { tenant_id: tenantId }) });
  return redirect(ssoErrorUrl(deps.config.accounts.appUrl, code), [
    clearedSsoCookie({ secure: cookieIsSecure(deps, request) }),
  ]);
}

/** Whatever went wrong becomes a redirect with a code: SsoFailure's own, or temporarily_unavailable. */
async function answering(
  deps: Adapters,
  request: HttpRequest,
  run: (tenant: { id?: string }) => Promise<HttpResult>,
): Promise<HttpResult> {
  const tenant: { id?: string } = {};
  try {
    return await run(tenant);
  } catch (e) {
    if (e instanceof SsoFailure) return failed(deps, request, e.code, tenant.id);
    if (e instanceof AppError && e.kind === 'invalid') return failed(deps, request, 'invalid_request', tenant.id);
    if (e instanceof SsoKeyMissing) return failed(deps, request, 'sso_not_configured', tenant.id);
    logger.warn('sso sign-in error', { error_name: (e as Error)?.name });
    return failed(deps, request, 'temporarily_unavailable', tenant.id);
  }
}

const ORGANIZATION = /^[a-z0-9][a-z0-9-]{0,99}$/;

/** The enabled configuration of a tenant, or SsoFailure('sso_not_configured'). */
async function enabledConfig(deps: Adapters, tenantId: string): Promise<SsoConfig> {
  const cfg = await deps.sso.load(tenantId);
  if (!cfg || !cfg.enabled) throw new SsoFailure('sso_not_configured');
  return cfg;
}

/** GET /v1/auth/sso/start?organization=<slug>&return_to=<path>: 302 to the issuer (or to the sign-in page). */
export function ssoStart(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  return answering(deps, request, async (tenant) => {
    const q = request.query();
    const organization = q.get('organization');
    if (q.getAll('organization').length > 1 || q.getAll('return_to').length > 1)
      throw new SsoFailure('invalid_request');
    const appUrl = deps.config.accounts.appUrl;
    const returnTo = safeReturnTo(q.get('return_to'), appUrl);
    if (returnTo === undefined) throw new SsoFailure('invalid_return_to');
    if (organization === null || !ORGANIZATION.test(organization)) throw new SsoFailure('sso_not_configured');
    const tenantId = await deps.sso.tenantIdBySlug(organization);
    if (!tenantId) throw new SsoFailure('sso_not_configured');
    tenant.id = tenantId;
    const cfg = await enabledConfig(deps, tenantId);
    const state = newOpaque();
    const nonce = newOpaque();
    const codeVerifier = newOpaque();
    const binding = newBinding();
    const location = await deps.oidc.authorizationUrl(cfg, {
      redirectUri: ssoRedirectUri(appUrl),
      state,
      nonce,
      codeVerifier,
    });
    await deps.ssoTransactions.put(
      digest(state),
      { tenantId, codeVerifier, nonce, returnTo, bindingHash: digest(binding) },
      SSO_TRANSACTION_TTL_MS,
    );
    return redirect(location, [ssoCookie(binding, { secure: cookieIsSecure(deps, request) })]);
  });
}

/** GET /v1/auth/sso/callback?code&state: verifies, signs the person in, and 302 to <APP_URL><return_to>. */
export function ssoCallback(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  return answering(deps, request, async (tenant) => {
    const q = request.query();
    const state = q.get('state');
    if (q.getAll('state').length !== 1 || !looksLikeOpaque(state, 512)) throw new SsoFailure('invalid_state');
    // Taken (deleted) before anything else: a state works once, whatever happens next.
    const tx = await deps.ssoTransactions.take(digest(state));
    if (!tx || !bindingMatches(ssoCookieValues(requestCookies(request)), tx.bindingHash))
      throw new SsoFailure('invalid_state');
    tenant.id = tx.tenantId;
    if (q.has('error')) throw new SsoFailure('access_denied');
    if (q.getAll('code').length !== 1 || !looksLikeOpaque(q.get('code'))) throw new SsoFailure('invalid_request');
    const cfg = await enabledConfig(deps, tx.tenantId);
    const appUrl = deps.config.accounts.appUrl;
    const identity = await deps.oidc.exchange(cfg, {
      callbackUrl: `${ssoRedirectUri(appUrl)}?${request.event.rawQueryString ?? ''}`,
      state,
      nonce: tx.nonce,
      codeVerifier: tx.codeVerifier,
    });
    const email = admissibleEmail(identity, cfg.allowedDomains, normaliseEmail);
    const logN = deps.config.accounts.scryptLogN;
    const signedIn = await deps.sso.signIn(
      {
        tenantId: tx.tenantId,
        email,
        name: identity.name ?? null,
        defaultRole: cfg.defaultRole,
        issuer: cfg.issuer,
        subject: identity.subject,
        nowMs: deps.now(),
      },
      // A password nobody knows: the account signs in by SSO, or sets a password through the reset link first.
      () => hashPassword(randomBytes(32).toString('base64url'), logN),
    );
    const started = await startSession(deps, request, { tenantId: tx.tenantId, userId: signedIn.userId });
    await deps.auditLog.append(
      audit(deps, tx.tenantId, signedIn.userId, 'user.login', {
        method: 'sso',
        issuer: cfg.issuer,
        provisioned: signedIn.provisioned,
        joined: signedIn.joined,
        role: signedIn.role,
      }),
    );
    return redirect(`${appUrl}${tx.returnTo}`, [
      started.cookie,
      clearedSsoCookie({ secure: cookieIsSecure(deps, request) }),
    ]);
  });
}
