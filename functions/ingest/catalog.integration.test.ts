// The event catalog end to end: registration in open mode, strict mode, declarations, caps, violations, isolation.
import postgres from 'postgres';
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { acceptEvents } from './accept-events';
import { createCatalogRegistry } from '../../adapters/catalog/registry';
import { loadCatalog, writeCatalog } from '../../adapters/postgres/catalog-store';
import type { Sql } from '../../adapters/postgres/client';

const MAX_TYPES = 5;
const MAX_PROPERTIES = 4;

const { env, runtime } = useTestEnv('catalog', {
  overrides: { CATALOG_MAX_EVENT_TYPES: String(MAX_TYPES), CATALOG_MAX_PROPERTIES: String(MAX_PROPERTIES) },
  // Consumers on: count_24h comes from the hourly rollups the aggregate step writes.
  runtime: true,
});

const post = (key: string, events: unknown[]) => call(runtime.url, '/v1/events', { key, json: { events } });
const put = (key: string, eventType: string, json: unknown) =>
  call(runtime.url, `/v1/catalog/${encodeURIComponent(eventType)}`, { method: 'PUT', key, json });

interface CatalogType {
  event_type: string;
  count_24h: number;
  properties: { name: string; observed_types: string[]; declared_type: string | null }[];
  [k: string]: unknown;
}

async function catalogTypes(key: string, project: string): Promise<Map<string, CatalogType>> {
  const res = await call(runtime.url, `/v1/catalog?project=${project}`, { key });
  expect(res.status).toBe(200);
  return new Map((res.body.projects[0].event_types as CatalogType[]).map((t) => [t.event_type, t]));
}

const propsOf = (t: CatalogType | undefined) =>
  Object.fromEntries(
    (t?.properties ?? []).map((p) => [
      p.name,
      p.declared_type ? { observed: p.observed_types, declared: p.declared_type } : p.observed_types,
    ]),
  );

async function violations(key: string, project: string) {
  const res = await call(runtime.url, `/v1/catalog/violations?project=${project}`, { key });
  expect(res.status).toBe(200);
  return res.body.violations as {
    event_type: string;
    reason: string;
    count: number;
    samples: { at: string; message: string; event_id: string }[];
  }[];
}

describe('open mode', () => {
  it('registers new event types and their properties with observed JSON types, visible in GET /v1/catalog after a flush', async () => {
    // Prepare
    const tenant = await env.createTenant();
    const started = Date.now();

    // Act
    const res = await post(tenant.keys.ingest, [
      { event_type: 'signup', project: 'web', properties: { plan: 'pro', seats: 3 } },
      { event_type: 'signup', project: 'web', properties: { plan: null, seats: '3', meta: { a: 1 } } },
      { event_type: 'Page Viewed', project: 'web', properties: { tags: ['a'], ok: true } },
    ]);

    // Assess
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 3, rejected: 0 });
    const types = await eventually(async () => {
      const t = await catalogTypes(tenant.keys.read, 'web');
      return t.get('signup')?.count_24h === 2 && t.get('Page Viewed')?.count_24h === 1 ? t : undefined;
    });
    expect([...types.keys()]).toEqual(['Page Viewed', 'signup']);
    const signup = types.get('signup')!;
    expect(signup).toMatchObject({ description: null, status: 'active', declared: false, count_24h: 2 });
    expect(Date.parse(signup.first_seen as string)).toBeGreaterThanOrEqual(started - 1000);
    expect(Date.parse(signup.last_seen as string)).toBeGreaterThanOrEqual(Date.parse(signup.first_seen as string));
    expect(propsOf(signup)).toEqual({ meta: ['object'], plan: ['string', 'null'], seats: ['string', 'number'] });
    expect(propsOf(types.get('Page Viewed'))).toEqual({ ok: ['boolean'], tags: ['array'] });

    const full = await call(runtime.url, '/v1/catalog', { key: tenant.keys.read });
    expect(full.body.projects).toEqual([
      expect.objectContaining({
        project: 'web',
        schema_mode: 'open',
        limits: { max_event_types: MAX_TYPES, max_properties_per_type: MAX_PROPERTIES },
      }),
    ]);
  });

  it('refuses new types and properties beyond the caps with catalog_limit, counted and sampled, and keeps accepting known ones', async () => {
    const tenant = await env.createTenant();
    const types = Array.from({ length: MAX_TYPES + 1 }, (_, i) => ({
      event_type: `type_${i}`,
      project: 'web',
      event_id: `cap-type-${i}`,
    }));
    const first = await post(tenant.keys.ingest, types);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: MAX_TYPES, rejected: 1 });
    expect(first.body.errors).toEqual([
      {
        index: MAX_TYPES,
        code: 'catalog_limit',
        message: expect.stringContaining(`already has ${MAX_TYPES} event types`),
      },
    ]);
    expect(first.body.errors[0].message).toContain('CATALOG_MAX_EVENT_TYPES');

    const wide = Object.fromEntries(Array.from({ length: MAX_PROPERTIES + 1 }, (_, i) => [`p${i}`, i]));
    const second = await post(tenant.keys.ingest, [
      { event_type: 'type_0', project: 'web', properties: wide, event_id: 'cap-props' },
      { event_type: 'type_0', project: 'web', properties: { p0: 1, p1: 2 } },
      { event_type: 'type_1', project: 'web' },
    ]);
    expect(second.status).toBe(202);
    expect(second.body.errors).toEqual([
      { index: 0, code: 'catalog_limit', message: expect.stringContaining('CATALOG_MAX_PROPERTIES') },
    ]);
    expect(second.body.event_ids[1]).toEqual(expect.any(String));

    const seen = await eventually(async () => {
      const v = await violations(tenant.keys.read, 'web');
      return v.length === 2 ? v : undefined;
    });
    expect(seen.map((v) => [v.event_type, v.reason, v.count, v.samples.map((s) => s.event_id)]).sort()).toEqual([
      ['type_0', 'catalog_limit', 1, ['cap-props']],
      [`type_${MAX_TYPES}`, 'catalog_limit', 1, [`cap-type-${MAX_TYPES}`]],
    ]);
    const catalog = await eventually(async () => {
      const t = await catalogTypes(tenant.keys.read, 'web');
      return t.get('type_0')?.properties.length === 2 ? t : undefined;
    });
    expect(catalog.size).toBe(MAX_TYPES);
    expect(catalog.has(`type_${MAX_TYPES}`)).toBe(false);
  });
});

describe('strict mode and declarations', () => {
  it('rejects unknown types and declared-type mismatches per event with schema_violation, and accepts what PUT declared', async () => {
    // Prepare: a strict project, created before the tenant's first event
    const tenant = await env.createTenant();
    expect(
      (
        await call(runtime.url, '/v1/projects', {
          key: tenant.keys.admin,
          json: { slug: 'shop', schema_mode: 'strict' },
        })
      ).status,
    ).toBe(201);
    const batch = (round: string) => [
      { event_type: 'Order Completed', project: 'shop', event_id: `${round}-0`, properties: { total: 12.5 } },
      { event_type: 'page_view', project: 'shop', event_id: `${round}-1` },
      { event_type: 'Order Completed', project: 'shop', event_id: `${round}-2`, properties: { total: '12.50' } },
      {
        event_type: 'Order Completed',
        project: 'shop',
        event_id: `${round}-3`,
        properties: { total: null, coupon: 'X' },
      },
    ];

    // Act 1: nothing is declared yet
    const before = await post(tenant.keys.ingest, batch('before'));

    // Assess 1
    expect(before.status).toBe(400);
    expect(before.body.error.code).toBe('no_events_accepted');
    expect(before.body.error.details.map((d: { index: number; code: string }) => [d.index, d.code])).toEqual([
      [0, 'schema_violation'],
      [1, 'schema_violation'],
      [2, 'schema_violation'],
      [3, 'schema_violation'],
    ]);
    expect(before.body.error.details[0].message).toBe(
      'event type "Order Completed" is not in the catalog of project "shop" (strict mode); declare it with PUT /v1/catalog/Order%20Completed or switch the project to open mode',
    );

    // Act 2: declare the type (the path is URL-encoded) with a typed property
    const declared = await put(tenant.keys.admin, 'Order Completed', {
      project: 'shop',
      description: 'A paid order',
      properties: { total: 'number' },
    });

    // Assess 2
    expect(declared.status).toBe(201);
    expect(declared.body).toMatchObject({
      project: 'shop',
      event_type: 'Order Completed',
      description: 'A paid order',
      status: 'active',
      declared: true,
      first_seen: null,
      count_24h: 0,
    });
    expect(declared.body.properties).toEqual([
      expect.objectContaining({ name: 'total', observed_types: [], declared_type: 'number' }),
    ]);

    // Act 3: the same batch again
    const after = await post(tenant.keys.ingest, batch('after'));

    // Assess 3: declared type accepted (null allowed, undeclared properties registered), the rest rejected per index
    expect(after.status).toBe(202);
    expect(after.body).toMatchObject({ accepted: 2, rejected: 2, event_ids: ['after-0', null, null, 'after-3'] });
    expect(after.body.errors).toEqual([
      {
        index: 1,
        code: 'schema_violation',
        message: expect.stringContaining('event type "page_view" is not in the catalog'),
      },
      {
        index: 2,
        code: 'schema_violation',
        message: expect.stringContaining(
          'property "total" of event type "Order Completed" is declared as number in project "shop" (strict mode) but is a string',
        ),
      },
    ]);
    const order = await eventually(async () => {
      const t = (await catalogTypes(tenant.keys.read, 'shop')).get('Order Completed');
      return t?.properties.length === 2 && t.first_seen !== null ? t : undefined;
    });
    expect(propsOf(order)).toEqual({ coupon: ['string'], total: { observed: ['number', 'null'], declared: 'number' } });

    // Violations: counted by type and reason, with the most recent samples first
    const seen = await eventually(async () => {
      const v = await violations(tenant.keys.read, 'shop');
      return v.length === 3 && v.reduce((n, x) => n + x.count, 0) === 6 ? v : undefined;
    });
    const byKey = Object.fromEntries(
      seen.map((v) => [`${v.event_type}/${v.reason}`, [v.count, v.samples.map((s) => s.event_id)]]),
    );
    expect(byKey).toEqual({
      'Order Completed/unknown_event_type': [3, expect.arrayContaining(['before-0', 'before-2', 'before-3'])],
      'Order Completed/type_mismatch': [1, ['after-2']],
      'page_view/unknown_event_type': [2, ['after-1', 'before-1']],
    });
    expect(seen[0]!.samples[0]).toEqual({
      at: expect.stringMatching(/Z$/),
      message: expect.any(String),
      event_id: expect.any(String),
    });
  });

  it('applies a schema mode change at once in this process, and another process sees a declaration within its cache TTL', async () => {
    const tenant = await env.createTenant();
    expect((await post(tenant.keys.ingest, [{ event_type: 'known', project: 'web' }])).status).toBe(202);
    expect(
      (
        await call(runtime.url, '/v1/projects/web', {
          method: 'PATCH',
          key: tenant.keys.admin,
          json: { schema_mode: 'strict' },
        })
      ).status,
    ).toBe(200);
    const strict = await post(tenant.keys.ingest, [
      { event_type: 'known', project: 'web' },
      { event_type: 'unknown', project: 'web' },
    ]);
    expect(strict.body.errors).toEqual([
      { index: 1, code: 'schema_violation', message: expect.stringContaining('"unknown"') },
    ]);

    // Another process: its own registry over the same database, with a cached catalog from before the PUT.
    const other = createCatalogRegistry(
      {
        load: (t, p, since) => loadCatalog(env.adapters.sql, t, p, since),
        write: (w) => writeCatalog(env.adapters.sql, w),
      },
      { cacheTtlMs: env.config.catalog.cacheTtlMs, flushIntervalMs: 1_000 },
    );
    expect((await other.snapshot(tenant.id, tenant.project.id)).types.has('unknown')).toBe(false);
    expect((await put(tenant.keys.admin, 'unknown', { project: 'web', properties: { n: 'number' } })).status).toBe(201);
    expect((await post(tenant.keys.ingest, [{ event_type: 'unknown', project: 'web' }])).status).toBe(202);
    const seen = await eventually(async () => {
      const t = (await other.snapshot(tenant.id, tenant.project.id)).types.get('unknown');
      return t?.declared ? t : undefined;
    }, env.config.catalog.cacheTtlMs + 5_000);
    expect(seen.properties.get('n')).toMatchObject({ declared: 'number' });
  });

  it('updates a declaration: description, status, and removing a property type', async () => {
    const tenant = await env.createTenant();
    expect(
      (
        await put(tenant.keys.admin, 'signup', {
          project: 'web',
          description: 'New account',
          properties: { plan: 'string', seats: 'number' },
        })
      ).status,
    ).toBe(201);
    const updated = await put(tenant.keys.admin, 'signup', {
      project: 'web',
      status: 'deprecated',
      properties: { seats: null },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: 'New account', status: 'deprecated', declared: true });
    expect(propsOf(updated.body)).toEqual({ plan: { observed: [], declared: 'string' }, seats: [] });
    const cleared = await put(tenant.keys.admin, 'signup', { project: 'web', description: null });
    expect(cleared.body).toMatchObject({ description: null, status: 'deprecated' });
  });

  it('validates PUT: admin scope, the event type rule, the body, the project', async () => {
    const tenant = await env.createTenant();
    const admin = tenant.keys.admin;
    expect((await put(tenant.keys.read, 'x', { project: 'web' })).status).toBe(403);
    expect((await put(tenant.keys.ingest, 'x', { project: 'web' })).status).toBe(403);
    const reserved = await put(admin, '$x', { project: 'web' });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringContaining('reserved'),
    });
    expect((await put(admin, ' padded', { project: 'web' })).body.error.message).toContain('whitespace');
    expect((await put(admin, 'x'.repeat(201), { project: 'web' })).status).toBe(400);
    const badType = await put(admin, 'x', { project: 'web', properties: { when: 'date' } });
    expect(badType.body.error).toMatchObject({
      code: 'invalid_body',
      message: expect.stringContaining('properties.when'),
    });
    expect((await put(admin, 'x', { project: 'web', extra: 1 })).body.error.code).toBe('invalid_body');
    expect((await put(admin, 'x', {})).body.error).toMatchObject({
      code: 'invalid_body',
      message: expect.stringContaining('project'),
    });
    expect((await put(admin, 'x', { project: 'nope' })).status).toBe(404);

    const boundAdmin = await env.createKey(tenant, ['admin'], tenant.project.id);
    expect((await put(boundAdmin, 'x', {})).status).toBe(201);
    expect((await put(boundAdmin, 'x', { project: 'other' })).status).toBe(403);
  });

  it('keeps one name per visible text: NFC for types and property names, invisible and bidi characters refused (PUT and ingest)', async () => {
    const tenant = await env.createTenant();
    await call(runtime.url, '/v1/projects', { key: tenant.keys.admin, json: { slug: 'nfc', schema_mode: 'strict' } });
    // Declared decomposed (e + U+0301), sent composed (U+00E9) and decomposed: one type, one property.
    expect(
      (await put(tenant.keys.admin, 'Cafe\u0301 Visit', { project: 'nfc', properties: { ['cre\u0300me']: 'number' } }))
        .status,
    ).toBe(201);
    const sent = await post(tenant.keys.ingest, [
      { event_type: 'Caf\u00e9 Visit', project: 'nfc', properties: { ['cr\u00e8me']: 1 } },
      { event_type: 'Cafe\u0301 Visit', project: 'nfc', properties: { ['cre\u0300me']: 2 } },
      { event_type: 'Cafe\u0301 Visit', project: 'nfc', properties: { ['cre\u0300me']: 'x' } },
    ]);
    expect(sent.status).toBe(202);
    expect(sent.body.errors).toEqual([
      { index: 2, code: 'schema_violation', message: expect.stringContaining('"cr\u00e8me"') },
    ]);
    const types = await catalogTypes(tenant.keys.admin, 'nfc');
    expect([...types.keys()]).toEqual(['Caf\u00e9 Visit']);
    expect(types.get('Caf\u00e9 Visit')!.properties.map((p) => p.name)).toEqual(['cr\u00e8me']);

    for (const spoof of [
      'Caf\u00e9\u202e Visit',
      'Caf\u00e9\u200b Visit',
      'Caf\u00e9\u00a0Visit',
      '\u2066Caf\u00e9 Visit',
    ]) {
      const res = await put(tenant.keys.admin, spoof, { project: 'nfc' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/invisible or direction-changing|space other than U\+0020/);
      const ingested = await post(tenant.keys.ingest, [{ event_type: spoof, project: 'nfc' }]);
      expect(ingested.status).toBe(400);
      expect(ingested.body.error.details[0].message).toMatch(
        /^event_type contains (an invisible or direction-changing character|a space other than U\+0020)/,
      );
    }
    const badName = await put(tenant.keys.admin, 'Caf\u00e9 Visit', {
      project: 'nfc',
      properties: { ['cr\u00e8me\u200d']: 'number' },
    });
    expect(badName.status).toBe(400);
    const badProp = await post(tenant.keys.ingest, [
      { event_type: 'Caf\u00e9 Visit', project: 'nfc', properties: { ['cr\u00e8me\u2069']: 1 } },
    ]);
    expect(badProp.body.error.details[0].message).toContain('the property name');
  });
});

describe('isolation', () => {
  it('shows a tenant nothing of another tenant’s catalog or violations; a bound key sees only its project', async () => {
    const owner = await env.createTenant();
    const stranger = await env.createTenant();
    await call(runtime.url, '/v1/projects', { key: owner.keys.admin, json: { slug: 'locked', schema_mode: 'strict' } });
    await post(owner.keys.ingest, [
      { event_type: 'private_type', project: 'web' },
      { event_type: 'nope', project: 'locked' },
    ]);
    await eventually(async () =>
      (await catalogTypes(owner.keys.read, 'web')).has('private_type') &&
      (await violations(owner.keys.read, 'locked')).length === 1
        ? true
        : undefined,
    );

    const theirs = await call(runtime.url, '/v1/catalog', { key: stranger.keys.read });
    expect(theirs.body.projects).toEqual([expect.objectContaining({ project: 'web', event_types: [] })]);
    expect((await call(runtime.url, '/v1/catalog/violations', { key: stranger.keys.read })).body.violations).toEqual(
      [],
    );
    expect((await call(runtime.url, '/v1/catalog?project=locked', { key: stranger.keys.read })).status).toBe(404);
    expect((await put(stranger.keys.admin, 'private_type', { project: 'locked' })).status).toBe(404);

    const bound = await env.createKey(owner, ['read'], owner.project.id);
    const mine = await call(runtime.url, '/v1/catalog', { key: bound });
    expect(mine.body.projects.map((p: { project: string }) => p.project)).toEqual(['web']);
    expect((await call(runtime.url, '/v1/catalog/violations', { key: bound })).body.violations).toEqual([]);
    expect((await call(runtime.url, '/v1/catalog?project=locked', { key: bound })).status).toBe(403);
  });
});

describe('cost on the hot path', () => {
  let counted: Sql;
  let statements: string[] = [];
  beforeAll(async () => {
    // One connection, opened (and its one-time type lookup done) before counting starts.
    counted = postgres(env.config.database.url, {
      max: 1,
      onnotice: () => undefined,
      debug: (_conn, query) => void statements.push(query.trim().split(/\s+/)[0]!.toLowerCase()),
    }) as unknown as Sql;
    await counted`select 1`;
    statements = [];
  });
  afterAll(async () => {
    await counted?.end({ timeout: 5 });
  });

  it('checks and registers a batch of 500 events with no query per event: one cached load, then one batched flush', async () => {
    // Prepare: the real ingest path, with a catalog registry whose every statement is counted
    const tenant = await env.createTenant();
    const principal = (await env.adapters.keys.resolve(tenant.keys.ingest))!;
    const registry = createCatalogRegistry(
      { load: (t, p, since) => loadCatalog(counted, t, p, since), write: (w) => writeCatalog(counted, w) },
      { cacheTtlMs: 60_000, flushIntervalMs: 1_000 },
    );
    const deps = { ...env.adapters, catalog: registry };
    const batch = (round: number) => ({
      events: Array.from({ length: 500 }, (_, i) => ({
        event_type: `t${i % 3}`,
        project: 'web',
        event_id: `cost-${round}-${i}`,
        properties: { i, s: `v${i}`, b: i % 2 === 0 },
      })),
    });
    const trace = { requestId: 'cost' };

    // Act + Assess: a cold catalog costs its one load; registering 3 types and 9 properties costs one flush
    let outcome = await acceptEvents(deps, principal, batch(1), trace);
    expect(outcome.accepted).toBe(500);
    expect(statements).toEqual(['select']);
    statements = [];
    await registry.flush();
    expect(statements).toEqual(['begin', 'insert', 'insert', 'commit']); // event_types, event_properties

    // Known types: nothing at all per request; the flush only moves last_seen
    statements = [];
    outcome = await acceptEvents(deps, principal, batch(2), trace);
    expect(outcome.accepted).toBe(500);
    expect(statements).toEqual([]);
    await registry.flush();
    expect(statements).toEqual(['begin', 'insert', 'commit']); // last_seen of the 3 types; properties' at most once a minute

    const types = await eventually(async () => {
      const t = await catalogTypes(tenant.keys.read, 'web');
      return t.size === 3 ? t : undefined;
    });
    expect(propsOf(types.get('t0'))).toEqual({ b: ['boolean'], i: ['number'], s: ['string'] });
  });
});
