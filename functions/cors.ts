// CORS of the public API, shared by the local gateway and the CDK API construct. Import-free.
// Any origin may call the API: keys travel in headers, never in cookies, so nothing is sent implicitly.
export const CORS = {
  allowOrigin: '*',
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'X-Api-Key', 'Content-Type', 'Content-Encoding', 'traceparent'],
  // The export's paging and progress headers (docs/api.md#export) are read by browser clients too.
  exposeHeaders: [
    'X-Request-Id',
    'Retry-After',
    'Link',
    'X-Next-Cursor',
    'X-Export-Cutoff',
    'X-Export-Position',
    'X-Export-Progress',
    'X-Export-Rows',
    'X-Export-Done',
    'X-Export-Complete',
    'Content-Disposition',
  ],
  maxAgeSeconds: 600,
} as const;
