// People end to end through the real runtime (HTTP → Kafka → aggregate → Postgres → GET /v1/users…): anonymous
// history merged by an event with both ids, Segment identify and alias, a refused merge of two known users, the
// merged timeline paged by cursor, the search, and the input space of the new parameters (4xx, never 5xx).
import fc from 'fast-check';
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';

jest.setTimeout(120_000);

const { env, runtime, tenant } = useTestEnv('people', { tenants: 1, runtime: true });
let writeKey: string;
beforeAll(async () => {
  writeKey = await env.createKey(tenant, ['ingest'], tenant.project.id);
});

const T = Date.now() - 3_600_000;
const at = (s: number) => new Date(T + s * 1000).toISOString();
const get = (path: string) => call(runtime.url, path, { key: tenant.keys.read });
const ingest = (events: unknown[]) => call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } });
const segment = (path: string, json: unknown) =>
  call(runtime.url, path, {
    json,
    headers: { Authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
  });

describe('people', () => {
  beforeAll(async () => {
    const p = tenant.project.slug;
    const first = await ingest([
      { project: p, event_type: 'view', anonymous_id: 'anon-1', timestamp: at(1), event_id: 'v1' },
      { project: p, event_type: 'view', anonymous_id: 'anon-1', timestamp: at(2), event_id: 'v2' },
      { project: p, event_type: 'view', anonymous_id: 'old-alice', timestamp: at(3), event_id: 'v3' },
      { project: p, event_type: 'view', user_id: 'bob', timestamp: at(4), event_id: 'b1' },
    ]);
    expect(first.status).toBe(202);
    await eventually(async () => ((await get('/v1/users/bob')).status === 200 ? true : undefined), 30_000, 200);
    // Both ids: anon-1's history joins alice.
    expect(
      (
        await ingest([
          {
            project: p,
            event_type: 'signup',
            user_id: 'alice',
            anonymous_id: 'anon-1',
            timestamp: at(5),
            event_id: 's1',
          },
        ])
      ).status,
    ).toBe(202);
    await eventually(async () => ((await get('/v1/users/alice')).status === 200 ? true : undefined), 30_000, 200);
    expect(
      (
        await segment('/v1/identify', {
          userId: 'alice',
          anonymousId: 'anon-2',
          traits: { plan: 'pro', email: 'a@example.com' },
          timestamp: at(6),
          messageId: 'i1',
        })
      ).status,
    ).toBe(200);
    await eventually(async () => ((await get('/v1/users/anon-2')).status === 200 ? true : undefined), 30_000, 200);
    expect(
      (await segment('/v1/alias', { previousId: 'old-alice', userId: 'alice', timestamp: at(7), messageId: 'a1' }))
        .status,
    ).toBe(200);
    // bob is a known user: joining alice's person (identified) is refused.
    expect(
      (
        await ingest([
          {
            project: p,
            event_type: '$alias',
            user_id: 'bob',
            properties: { previous_id: 'alice' },
            timestamp: at(8),
            event_id: 'a2',
          },
        ])
      ).status,
    ).toBe(202);
    // A later identify overrides plan, per key.
    expect(
      (await segment('/v1/identify', { userId: 'alice', traits: { plan: 'team' }, timestamp: at(9), messageId: 'i2' }))
        .status,
    ).toBe(200);
    await eventually(
      async () => {
        const r = await get(`/v1/users/alice`);
        return r.body.ids?.length === 4 &&
          r.body.traits?.plan === 'team' &&
          (await get('/v1/users/bob')).body.event_count === 2
          ? true
          : undefined;
      },
      30_000,
      200,
    );
  });

  it('finds the person by any of its ids, with every merged id, counts and latest traits', async () => {
    for (const id of ['alice', 'anon-1', 'anon-2', 'old-alice']) {
      const r = await get(`/v1/users/${id}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        id,
        person_id: 'alice',
        event_count: 7,
        identified: true,
        first_seen: at(1),
        last_seen: at(9),
        traits: { plan: 'team', email: 'a@example.com' },
      });
      expect(r.body.ids).toEqual([
        { id: 'alice', identified: true, first_seen: at(5), last_seen: at(9), event_count: 4 },
        { id: 'anon-1', identified: false, first_seen: at(1), last_seen: at(5), event_count: 2 },
        { id: 'anon-2', identified: false, first_seen: at(6), last_seen: at(6), event_count: 0 },
        { id: 'old-alice', identified: false, first_seen: at(3), last_seen: at(7), event_count: 1 },
      ]);
    }
    const bob = await get('/v1/users/bob');
    expect(bob.body).toMatchObject({ person_id: 'bob', event_count: 2, ids: [{ id: 'bob' }] });
    const merges = await env.adapters.sql<{ outcome: string; reason: string | null }[]>`
      select outcome, reason from identity_merges where tenant_id = ${tenant.id} and event_id = 'a2'`;
    expect(merges).toEqual([{ outcome: 'refused', reason: expect.stringContaining('identified') }]);
  });

  it('pages the merged timeline newest first, with anonymous_id, and filters it', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await get(`/v1/users/anon-1/events?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.events.map((e: { event_id: string }) => e.event_id));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['i2', 'a1', 'i1', 's1', 'v3', 'v2', 'v1']);
    const signup = await get('/v1/users/alice/events?event_type=signup');
    expect(signup.body.events).toEqual([
      expect.objectContaining({ event_id: 's1', user_id: 'alice', anonymous_id: 'anon-1' }),
    ]);
    const range = await get(`/v1/users/alice/events?from=${encodeURIComponent(at(2))}&to=${encodeURIComponent(at(5))}`);
    expect(range.body.events.map((e: { event_id: string }) => e.event_id)).toEqual(['v3', 'v2']);
    const explorer = await get('/v1/events?user_id=alice&event_type=signup');
    expect(explorer.body.events[0]).toMatchObject({ user_id: 'alice', anonymous_id: 'anon-1' });
  });

  it('searches by id prefix and by trait', async () => {
    const ids = async (q: string) =>
      (await get(`/v1/users?${q}`)).body.users.map((u: { person_id: string }) => u.person_id);
    expect(await ids('q=ANON')).toEqual([]);
    expect(await ids('q=anon')).toEqual(['alice']);
    expect(await ids('q=b')).toEqual(['bob']);
    expect(await ids('q=EXAMPLE.com')).toEqual(['alice']);
    expect(await ids('trait.plan=team')).toEqual(['alice']);
    expect(await ids('trait.plan=pro')).toEqual([]);
    const first = await get('/v1/users?limit=1');
    expect(first.body.users.map((u: { person_id: string }) => u.person_id)).toEqual(['alice']);
    const next = await get(`/v1/users?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(next.body.users.map((u: { person_id: string }) => u.person_id)).toEqual(['bob']);
  });

  it('says how to find an unknown id', async () => {
    const r = await get('/v1/users/nobody');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toContain('GET /v1/users?q=');
  });

  it('answers any id, limit, cursor, q or trait with a 2xx or a 4xx, never a 5xx', async () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom(
        '',
        '0',
        '-1',
        '1001',
        '1e3',
        '99999999999999999999',
        '%00',
        '\u0000',
        'a\ud800',
        'x'.repeat(300),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/users/{id}', '/v1/users/{id}/events', '/v1/users'),
        text,
        fc.dictionary(
          fc.constantFrom('limit', 'cursor', 'q', 'trait.plan', 'trait.', 'event_type', 'from', 'to', 'project'),
          text,
        ),
        async (route, id, params) => {
          // A lone surrogate has no UTF-8: sent as the bytes a careless client would send (CESU-8 of U+D800).
          const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
          const enc = encodeURIComponent(id.replace(lone, '')) + (lone.test(id) ? '%ED%A0%80' : '');
          const path = route.replace('{id}', enc || '%20');
          const r = await get(`${path}?${new URLSearchParams(params)}`);
          expect({ path, params, status: r.status < 500 }).toEqual({ path, params, status: true });
        },
      ),
      { numRuns: 150 },
    );
  });
});
