// Which function serves which HTTP route: shared by the local runtime and the CDK API construct.
// Kept free of imports so the CDK app can read it without loading handler code.
export type HttpFunctionName = 'ingest' | 'query';

export const HTTP_ROUTES = {
  'POST /v1/events': 'ingest',
  'GET /v1/events': 'query',
  'GET /v1/metrics': 'query',
  'GET /v1/openapi.json': 'query',
  'GET /healthz': 'query',
  'GET /readyz': 'query',
} as const satisfies Record<string, HttpFunctionName>;

export type RouteKey = keyof typeof HTTP_ROUTES;
export type RouteKeyOf<F extends HttpFunctionName> = { [K in RouteKey]: (typeof HTTP_ROUTES)[K] extends F ? K : never }[RouteKey];

export function functionForRoute(routeKey: string): HttpFunctionName | undefined {
  return (HTTP_ROUTES as Record<string, HttpFunctionName>)[routeKey];
}
