// Which function serves which HTTP route: shared by the local runtime and the CDK API construct.
// Kept free of imports so the CDK app can read it without loading handler code.
export type HttpFunctionName = 'ingest' | 'query';

/** Route keys in API Gateway's syntax: `METHOD /path/{param}`. */
export const HTTP_ROUTES = {
  'POST /v1/events': 'ingest',
  'GET /v1/events': 'query',
  'GET /v1/events/export': 'query',
  'GET /v1/metrics': 'query',
  'POST /v1/funnels/query': 'query',
  'POST /v1/funnels/persons': 'query',
  'GET /v1/funnels/persons': 'query',
  'GET /v1/status': 'query',
  'GET /v1/openapi.json': 'query',
  'GET /v1/tenant': 'query',
  'PATCH /v1/tenant': 'query',
  'GET /v1/projects': 'query',
  'POST /v1/projects': 'query',
  'PATCH /v1/projects/{slug}': 'query',
  'GET /v1/api-keys': 'query',
  'POST /v1/api-keys': 'query',
  'DELETE /v1/api-keys/{id}': 'query',
  'GET /v1/catalog': 'query',
  'GET /v1/catalog/violations': 'query',
  'PUT /v1/catalog/{event_type}': 'query',
  'GET /v1/alert-rules': 'query',
  'POST /v1/alert-rules': 'query',
  'POST /v1/alert-rules/preview': 'query',
  'GET /v1/alert-rules/{id}': 'query',
  'PUT /v1/alert-rules/{id}': 'query',
  'DELETE /v1/alert-rules/{id}': 'query',
  'GET /v1/alerts': 'query',
  'GET /v1/dashboards': 'query',
  'POST /v1/dashboards': 'query',
  'GET /v1/dashboards/{id}': 'query',
  'PUT /v1/dashboards/{id}': 'query',
  'DELETE /v1/dashboards/{id}': 'query',
  'GET /v1/users': 'query',
  'GET /v1/users/{id}': 'query',
  'GET /v1/users/{id}/events': 'query',
  // Erasure and access (docs/api.md#erasure-and-access).
  'DELETE /v1/users/{id}': 'query',
  'GET /v1/users/{id}/export': 'query',
  'GET /v1/erasures/{job_id}': 'query',
  // The audit log (docs/api.md#audit-log).
  'GET /v1/audit-log': 'query',
  'POST /v1/retention/query': 'query',
  // Accounts (docs/api.md#accounts).
  'POST /v1/auth/signup': 'query',
  'POST /v1/auth/login': 'query',
  'POST /v1/auth/logout': 'query',
  'POST /v1/auth/password': 'query',
  'POST /v1/auth/accept-invite': 'query',
  'POST /v1/auth/verify-email': 'query',
  'POST /v1/auth/verify-email/resend': 'query',
  'POST /v1/auth/forgot': 'query',
  'POST /v1/auth/reset': 'query',
  'GET /v1/auth/options': 'query',
  'GET /v1/me': 'query',
  'GET /v1/members': 'query',
  'PATCH /v1/members/{id}': 'query',
  'DELETE /v1/members/{id}': 'query',
  'GET /v1/invites': 'query',
  'POST /v1/invites': 'query',
  'DELETE /v1/invites/{id}': 'query',
  // Single sign-on (docs/api.md#single-sign-on-sso).
  'GET /v1/sso': 'query',
  'PUT /v1/sso': 'query',
  'DELETE /v1/sso': 'query',
  'GET /v1/auth/sso/start': 'query',
  'GET /v1/auth/sso/callback': 'query',
  'GET /healthz': 'query',
  'GET /readyz': 'query',
  // Segment HTTP Tracking API (see docs/api.md#segment-compatible-ingest).
  'POST /v1/batch': 'ingest',
  'POST /v1/track': 'ingest',
  'POST /v1/identify': 'ingest',
  'POST /v1/page': 'ingest',
  'POST /v1/screen': 'ingest',
  'POST /v1/group': 'ingest',
  'POST /v1/alias': 'ingest',
  // analytics.js's short paths: track, page, identify, screen, group, alias, batch.
  'POST /v1/t': 'ingest',
  'POST /v1/p': 'ingest',
  'POST /v1/i': 'ingest',
  'POST /v1/s': 'ingest',
  'POST /v1/g': 'ingest',
  'POST /v1/a': 'ingest',
  'POST /v1/b': 'ingest',
} as const satisfies Record<string, HttpFunctionName>;

export type RouteKey = keyof typeof HTTP_ROUTES;
export type RouteKeyOf<F extends HttpFunctionName> = {
  [K in RouteKey]: (typeof HTTP_ROUTES)[K] extends F ? K : never;
}[RouteKey];

export interface RouteMatch {
  routeKey: RouteKey;
  fn: HttpFunctionName;
  pathParameters: Record<string, string>;
}

const compiled = (Object.keys(HTTP_ROUTES) as RouteKey[]).map((routeKey) => {
  const [method, template] = routeKey.split(' ') as [string, string];
  const names: string[] = [];
  const pattern = template
    .replace(/[.]/g, '\\.')
    .replace(/\{([a-z_]+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'));
  return { routeKey, method, regex: new RegExp(`^${pattern}$`), names };
});

/** Matches a request the way API Gateway does: exact segments, `{param}` = one path segment. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const r of compiled) {
    if (r.method !== method) continue;
    const m = r.regex.exec(path);
    if (!m) continue;
    let pathParameters: Record<string, string>;
    try {
      pathParameters = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    } catch {
      return undefined; // malformed percent-encoding: no route
    }
    return { routeKey: r.routeKey, fn: HTTP_ROUTES[r.routeKey], pathParameters };
  }
  return undefined;
}

/** True when some route has this path with another method (405 rather than 404). */
export function pathHasRoutes(path: string): boolean {
  return compiled.some((r) => r.regex.test(path));
}
