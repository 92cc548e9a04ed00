// The HTTP edge of a function's route table. Each route declares the key it needs (a scope, or public); the router
// finds the request's route, resolves the key (or the session cookie), enforces the scope (or the member's role and
// the CSRF token), adds tenant and key (or user) to the request's log context and hands the route its request with
// the principal. Routes only parse, call and map.
import { credentialsFromHeaders, requireScope, type Principal, type Scope } from '../../core/api-keys';
import { emailVerificationRefusal, roleAllows, type Role } from '../../core/accounts';
import { forbidden, notFound, unauthorized } from '../../core/errors';
import type { Adapters } from '../../adapters';
import type { KeyResolver } from '../../adapters/key-resolver';
import { appendLogKeys } from '../../adapters/logger';
import type { HttpEvent, HttpResult } from './middleware';
import { HttpRequest, type AuthenticatedRequest } from './request';
import { hasSessionCookie, principalOfSession, requireCsrf, resolveSession, type ActiveSession } from './session';

/** A route anyone may call (health, readiness, the OpenAPI document). */
export interface PublicRoute {
  auth: 'public';
  handle: (deps: Adapters, request: HttpRequest) => Promise<HttpResult>;
}

/** A route that needs a key with this scope (an admin key holds every scope). */
export interface KeyedRoute {
  auth: Scope;
  /**
   * The least member role a session cookie needs here (docs/api.md#roles). Default: viewer for read routes, admin for
   * admin routes; editor is declared on the dashboards, alert rules and catalog changes. Ingest routes take keys only.
   */
  role?: Role;
  /**
   * Where the key comes from: by default Authorization: Bearer or X-Api-Key. The Segment endpoints also take it from
   * Basic auth or the body's writeKey; what this throws (a body it cannot read, two keys) comes before any lookup.
   */
  credential?: (deps: Adapters, request: HttpRequest) => string;
  handle: (deps: Adapters, request: AuthenticatedRequest) => Promise<HttpResult>;
}

/** A route only a signed-in person calls (GET /v1/me, logout): the session cookie, never a key. */
export interface SessionRoute {
  auth: 'session';
  handle: (deps: Adapters, request: SessionRequest) => Promise<HttpResult>;
}

export type Route = PublicRoute | KeyedRoute | SessionRoute;

/** A request whose session cookie the HTTP edge resolved (and whose CSRF token it checked if it changes something). */
export type SessionRequest = AuthenticatedRequest & { readonly session: ActiveSession };

/** The role a session needs on a keyed route; undefined: keys only. */
export function sessionRoleOf(route: KeyedRoute): Role | undefined {
  if (route.role) return route.role;
  if (route.auth === 'read') return 'viewer';
  if (route.auth === 'admin') return 'admin';
  return undefined;
}

/** True when the request presents an API key (a key is used whenever one is sent, even beside a cookie). */
function hasKeyHeader(request: HttpRequest): boolean {
  const h = request.headers();
  return h['authorization'] !== undefined || h['x-api-key'] !== undefined;
}

/**
 * The one place the e-mail verification rule (core/accounts.ts emailVerificationRefusal) is enforced, for every
 * cookie session whatever the route's kind; keys are not people and never meet it (docs/api.md#e-mail-verification).
 */
function requireVerifiedEmail(routeKey: string, session: ActiveSession): void {
  const refusal = emailVerificationRefusal(routeKey, session.emailVerified);
  if (refusal) throw forbidden(refusal, 'email_unverified');
}

/** The tenant comes from the key and nothing else. */
async function authenticate(keys: KeyResolver, key: string, scope: Scope): Promise<Principal> {
  const principal = await keys.resolve(key);
  if (!principal) throw unauthorized('The API key is unknown or revoked.');
  appendLogKeys({ tenant_id: principal.tenantId, key_id: principal.keyId });
  requireScope(principal, scope);
  return principal;
}

/** The HTTP function of a route table: route → key → scope → log context → the route's handler. */
export function routeRequests(
  deps: Adapters,
  routes: Record<string, Route>,
): (event: HttpEvent) => Promise<HttpResult> {
  const table = routes as Partial<Record<string, Route>>;
  return async (event) => {
    const method = event.requestContext.http.method;
    const routeKey = table[event.routeKey] ? event.routeKey : `${method} ${event.rawPath}`;
    const route = table[routeKey];
    if (!route) throw notFound(`No route ${method} ${event.rawPath}; see GET /v1/openapi.json.`);
    const request = new HttpRequest(event);
    if (route.auth === 'public') return route.handle(deps, request);
    if (route.auth === 'session') {
      // A request with a key header is the key's, whatever cookie it carries (docs/security.md): never a session's.
      if (hasKeyHeader(request))
        throw unauthorized(
          'This route is for signed-in people: send the session cookie (POST /v1/auth/login) and no API key.',
        );
      const session = await resolveSession(deps, request);
      requireCsrf(request, session);
      requireVerifiedEmail(routeKey, session);
      return route.handle(deps, Object.assign(request, { principal: principalOfSession(session), session }));
    }
    if (!route.credential && !hasKeyHeader(request) && hasSessionCookie(request)) {
      const session = await resolveSession(deps, request);
      const required = sessionRoleOf(route);
      if (required === undefined)
        throw unauthorized(`This route takes an API key with the "${route.auth}" scope, not a session cookie.`);
      requireCsrf(request, session);
      if (!roleAllows(session.role, required))
        throw forbidden(`Your role (${session.role}) may not do this; it needs ${required} or above. Ask an admin.`);
      requireVerifiedEmail(routeKey, session);
      return route.handle(deps, Object.assign(request, { principal: principalOfSession(session) }));
    }
    const key = route.credential ? route.credential(deps, request) : credentialsFromHeaders(request.headers());
    const principal = await authenticate(deps.keys, key, route.auth);
    return route.handle(deps, Object.assign(request, { principal }));
  };
}
