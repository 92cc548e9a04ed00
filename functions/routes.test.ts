// Which key each HTTP route needs, declared in the route tables: pinned here so a change is a visible decision.
import { HTTP_ROUTES, type RouteKey } from './routes';
import { QUERY_ROUTES } from './query/handler';
import { INGEST_ROUTES } from './ingest/handler';
import { sessionRoleOf, type Route } from './http/router';

const ACCESS: Record<RouteKey, string> = {
  'POST /v1/events': 'ingest',
  'GET /v1/events': 'read',
  'GET /v1/events/export': 'read',
  'GET /v1/metrics': 'read',
  'POST /v1/funnels/query': 'read',
  'POST /v1/funnels/persons': 'read',
  'GET /v1/funnels/persons': 'read',
  'GET /v1/status': 'read',
  'GET /v1/openapi.json': 'public',
  'GET /v1/tenant': 'read',
  'PATCH /v1/tenant': 'admin',
  'GET /v1/projects': 'read',
  'POST /v1/projects': 'admin',
  'PATCH /v1/projects/{slug}': 'admin',
  'GET /v1/api-keys': 'admin',
  'POST /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/{id}': 'admin',
  'GET /v1/catalog': 'read',
  'GET /v1/catalog/violations': 'read',
  'PUT /v1/catalog/{event_type}': 'admin',
  'GET /v1/alert-rules': 'read',
  'POST /v1/alert-rules': 'admin',
  'POST /v1/alert-rules/preview': 'read',
  'GET /v1/alert-rules/{id}': 'read',
  'PUT /v1/alert-rules/{id}': 'admin',
  'DELETE /v1/alert-rules/{id}': 'admin',
  'GET /v1/alerts': 'read',
  'GET /v1/dashboards': 'read',
  'POST /v1/dashboards': 'admin',
  'GET /v1/dashboards/{id}': 'read',
  'PUT /v1/dashboards/{id}': 'admin',
  'DELETE /v1/dashboards/{id}': 'admin',
  'GET /v1/users': 'read',
  'GET /v1/users/{id}': 'read',
  'GET /v1/users/{id}/events': 'read',
  'DELETE /v1/users/{id}': 'admin',
  'GET /v1/users/{id}/export': 'admin',
  'GET /v1/erasures/{job_id}': 'admin',
  'GET /v1/audit-log': 'admin',
  'POST /v1/retention/query': 'read',
  'POST /v1/auth/signup': 'public',
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/logout': 'session',
  'POST /v1/auth/password': 'session',
  'POST /v1/auth/accept-invite': 'public',
  'POST /v1/auth/verify-email': 'public',
  'POST /v1/auth/verify-email/resend': 'session',
  'POST /v1/auth/forgot': 'public',
  'POST /v1/auth/reset': 'public',
  'GET /v1/auth/options': 'public',
  'GET /v1/me': 'session',
  'GET /v1/members': 'admin',
  'PATCH /v1/members/{id}': 'admin',
  'DELETE /v1/members/{id}': 'admin',
  'GET /v1/invites': 'admin',
  'POST /v1/invites': 'admin',
  'DELETE /v1/invites/{id}': 'admin',
  'GET /v1/sso': 'admin',
  'PUT /v1/sso': 'admin',
  'DELETE /v1/sso': 'admin',
  'GET /v1/auth/sso/start': 'public',
  'GET /v1/auth/sso/callback': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'POST /v1/batch': 'ingest (segment)',
  'POST /v1/track': 'ingest (segment)',
  'POST /v1/identify': 'ingest (segment)',
  'POST /v1/page': 'ingest (segment)',
  'POST /v1/screen': 'ingest (segment)',
  'POST /v1/group': 'ingest (segment)',
  'POST /v1/alias': 'ingest (segment)',
  'POST /v1/t': 'ingest (segment)',
  'POST /v1/p': 'ingest (segment)',
  'POST /v1/i': 'ingest (segment)',
  'POST /v1/s': 'ingest (segment)',
  'POST /v1/g': 'ingest (segment)',
  'POST /v1/a': 'ingest (segment)',
  'POST /v1/b': 'ingest (segment)',
};

it('declares for every route the key it needs, as the API documents', () => {
  const tables = { query: QUERY_ROUTES, ingest: INGEST_ROUTES } as const;
  const declared = Object.fromEntries(
    (Object.keys(HTTP_ROUTES) as RouteKey[]).map((k) => {
      const route = (tables[HTTP_ROUTES[k]] as Record<string, (typeof QUERY_ROUTES)[keyof typeof QUERY_ROUTES]>)[k]!;
      return [k, 'credential' in route && route.credential ? `${route.auth} (segment)` : route.auth];
    }),
  );
  expect(declared).toEqual(ACCESS);
});

// The member role a session cookie needs on each keyed route (docs/api.md#roles): viewer reads; editor changes
// dashboards, alert rules and the catalog; admin keys, settings (tenant, projects) and erasure; ingest takes keys only.
const EDITOR_ROUTES = [
  'PUT /v1/catalog/{event_type}',
  'POST /v1/alert-rules',
  'PUT /v1/alert-rules/{id}',
  'DELETE /v1/alert-rules/{id}',
  'POST /v1/dashboards',
  'PUT /v1/dashboards/{id}',
  'DELETE /v1/dashboards/{id}',
];

it('maps every keyed route onto the least member role a session needs', () => {
  const tables = { query: QUERY_ROUTES, ingest: INGEST_ROUTES } as const;
  for (const k of Object.keys(HTTP_ROUTES) as RouteKey[]) {
    const route = (tables[HTTP_ROUTES[k]] as Record<string, Route>)[k]!;
    if (route.auth === 'public' || route.auth === 'session') continue;
    const expected =
      route.auth === 'ingest'
        ? undefined
        : route.auth === 'read'
          ? 'viewer'
          : EDITOR_ROUTES.includes(k)
            ? 'editor'
            : 'admin';
    expect([k, sessionRoleOf(route)]).toEqual([k, expected]);
  }
});
