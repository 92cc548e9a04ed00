// CORS of the public API, shared by the local gateway and the CDK API construct. Import-free.
// Any origin may call the API: keys travel in headers, never in cookies, so nothing is sent implicitly.
export const CORS = {
  allowOrigin: '*',
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'X-Api-Key', 'Content-Type', 'Content-Encoding', 'traceparent'],
  exposeHeaders: ['X-Request-Id', 'Retry-After'],
  maxAgeSeconds: 600,
} as const;
