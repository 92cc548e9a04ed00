// The HTTP edge of a route table: route → key → scope → log context → the route's handler.
import { routeRequests, type Route } from './router';
import { json, type HttpEvent } from './middleware';
import { mapExpectedError } from './errors';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';

const principals: Record<string, Principal> = {
  'read-key': { tenantId: 't1', keyId: 'k1', scopes: ['read'], projectId: null, projectSlug: null } as Principal,
  'admin-key': { tenantId: 't1', keyId: 'k2', scopes: ['admin'], projectId: null, projectSlug: null } as Principal,
};
const resolved: string[] = [];
const deps = {
  keys: {
    resolve: async (key: string) => {
      resolved.push(key);
      return principals[key] ?? null;
    },
    flush: async () => undefined,
  },
} as unknown as Adapters;

const routes: Record<string, Route> = {
  'GET /open': { auth: 'public', handle: async () => json(200, { open: true }) },
  'GET /read/{id}': {
    auth: 'read',
    handle: async (_deps, r) => json(200, { tenant: r.principal.tenantId, id: r.param('id') }),
  },
  'POST /admin': { auth: 'admin', handle: async (_deps, r) => json(201, { key: r.principal.keyId }) },
  'POST /custom': {
    auth: 'read',
    credential: (_deps, r) => String((r.body(1000) as { key: string }).key),
    handle: async (_deps, r) => json(200, { tenant: r.principal.tenantId }),
  },
};
const route = routeRequests(deps, routes);

function event(
  routeKey: string,
  opts: { key?: string; body?: string; params?: Record<string, string> } = {},
): HttpEvent {
  const [method, path] = routeKey.split(' ') as [string, string];
  return {
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.body,
    isBase64Encoded: false,
    pathParameters: opts.params,
    requestContext: { requestId: 'req', http: { method, path } },
  } as unknown as HttpEvent;
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  const mapped = mapExpectedError(
    await p.then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  return { status: mapped?.status ?? 0, code: mapped?.code ?? 'none' };
}

beforeEach(() => (resolved.length = 0));

it('serves a public route without looking at any key', async () => {
  expect((await route(event('GET /open', { key: 'whatever' }))).statusCode).toBe(200);
  expect(resolved).toEqual([]);
});

it('hands a keyed route the principal of a key holding its scope (an admin key holds every scope)', async () => {
  const read = await route(event('GET /read/{id}', { key: 'read-key', params: { id: 'x' } }));
  expect(JSON.parse(read.body!)).toEqual({ tenant: 't1', id: 'x' });
  expect((await route(event('GET /read/{id}', { key: 'admin-key', params: { id: 'x' } }))).statusCode).toBe(200);
  expect((await route(event('POST /admin', { key: 'admin-key' }))).statusCode).toBe(201);
});

it('refuses a missing, unknown or under-scoped key before the route runs', async () => {
  expect(await refusal(route(event('POST /admin')))).toEqual({ status: 401, code: 'unauthorized' });
  expect(await refusal(route(event('POST /admin', { key: 'nope' })))).toEqual({ status: 401, code: 'unauthorized' });
  expect(await refusal(route(event('POST /admin', { key: 'read-key' })))).toEqual({ status: 403, code: 'forbidden' });
});

it('takes the key where the route says, and answers 404 for a route the table does not have', async () => {
  expect(JSON.parse((await route(event('POST /custom', { body: '{"key":"read-key"}' }))).body!)).toEqual({
    tenant: 't1',
  });
  expect(resolved).toEqual(['read-key']);
  expect(await refusal(route(event('GET /elsewhere')))).toEqual({ status: 404, code: 'not_found' });
});

it('refuses a key on a session route, cookie or not, without reading the session (the key alone decides)', async () => {
  const sessions: string[] = [];
  const withSessions = {
    ...deps,
    accounts: { findSession: async (h: Buffer) => void sessions.push(h.toString('hex')) },
  } as unknown as Adapters;
  const me = routeRequests(withSessions, { 'GET /me': { auth: 'session', handle: async () => json(200, {}) } });
  for (const cookies of [undefined, [`cs_session=${'a'.repeat(43)}`]]) {
    const e = { ...event('GET /me', { key: 'admin-key' }), cookies };
    expect(await refusal(me(e))).toEqual({ status: 401, code: 'unauthorized' });
  }
  expect(sessions).toEqual([]);
  expect(resolved).toEqual([]);
});
