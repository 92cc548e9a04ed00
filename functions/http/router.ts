// The HTTP edge of a function's route table. Each route declares the key it needs (a scope, or public); the router
// finds the request's route, resolves the key, enforces the scope, adds tenant and key to the request's log context
// and hands the route its request with the principal. Routes only parse, call and map.
import { credentialsFromHeaders, requireScope, type Principal, type Scope } from '../../core/api-keys';
import { notFound, unauthorized } from '../../core/errors';
import type { Adapters } from '../../adapters';
import type { KeyResolver } from '../../adapters/key-resolver';
import { appendLogKeys } from '../../adapters/logger';
import type { HttpEvent, HttpResult } from './middleware';
import { HttpRequest, type AuthenticatedRequest } from './request';

/** A route anyone may call (health, readiness, the OpenAPI document). */
export interface PublicRoute {
  auth: 'public';
  handle: (deps: Adapters, request: HttpRequest) => Promise<HttpResult>;
}

/** A route that needs a key with this scope (an admin key holds every scope). */
export interface KeyedRoute {
  auth: Scope;
  /**
   * Where the key comes from: by default Authorization: Bearer or X-Api-Key. The Segment endpoints also take it from
   * Basic auth or the body's writeKey; what this throws (a body it cannot read, two keys) comes before any lookup.
   */
  credential?: (deps: Adapters, request: HttpRequest) => string;
  handle: (deps: Adapters, request: AuthenticatedRequest) => Promise<HttpResult>;
}

export type Route = PublicRoute | KeyedRoute;

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
    const route = table[event.routeKey] ?? table[`${method} ${event.rawPath}`];
    if (!route) throw notFound(`No route ${method} ${event.rawPath}; see GET /v1/openapi.json.`);
    const request = new HttpRequest(event);
    if (route.auth === 'public') return route.handle(deps, request);
    const key = route.credential ? route.credential(deps, request) : credentialsFromHeaders(request.headers());
    const principal = await authenticate(deps.keys, key, route.auth);
    return route.handle(deps, Object.assign(request, { principal }));
  };
}
