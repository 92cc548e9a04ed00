// POST /v1/funnels/query and GET/POST /v1/funnels/persons against the real services (docs/api.md#funnels): on
// generated histories (merged ids, equal timestamps, late events, window and range edges, every order, exclusions,
// breakdowns) the answer and every person listed equal the brute-force reference's (test/funnel-reference.ts); the
// hand-built signup → checkout example; and the input space of the bodies → 4xx, never 5xx.
import fc from 'fast-check';
import { useTestEnv } from '../../test/harness';
import { call } from '../../test/builders';
import type { RawEvent } from '../../core/raw-event';
import { planCountDeltas } from '../../core/rollups';
import {
  historyArb,
  referenceAnswer,
  referencePaths,
  type RefEvent,
  type RefPath,
  type RefQuery,
} from '../../test/funnel-reference';

const { env, tenant, runtime } = useTestEnv('funnels', { tenants: 1, runtime: true });

const MIN = 60_000;
/** A minute boundary two days ago: inside the default 30-day retention. */
const BASE = Math.floor((Date.now() - 2 * 86_400_000) / MIN) * MIN;
/** Fresh projects, made before any query (the API's project list is cached for a few seconds). */
const pool: { id: string; slug: string }[] = [];
beforeAll(async () => {
  for (let i = 0; i < 40; i++) {
    const slug = `f${i}-${Math.random().toString(36).slice(2, 8)}`;
    pool.push({ id: await env.createProject(tenant, slug), slug });
  }
});

async function newProject(): Promise<{ id: string; slug: string }> {
  const p = pool.pop();
  if (!p) throw new Error('the project pool is used up: make more in beforeAll');
  return p;
}

/** Writes events the way the aggregate step does, in the given batches (later batches hold earlier events: late). */
async function writeEvents(project: { id: string; slug: string }, batches: RefEvent[][]): Promise<void> {
  for (const batch of batches) {
    if (batch.length === 0) continue;
    const raw: RawEvent[] = batch.map((e) => ({
      tenantId: tenant.id,
      projectId: project.id,
      project: project.slug,
      eventId: e.eventId,
      eventType: e.eventType,
      timestampMs: e.ms,
      receivedAtMs: Date.now(),
      userId: e.distinctId,
      sessionId: null,
      properties: e.props,
      context: null,
    }));
    await env.adapters.partitions.ensureFor(raw.map((e) => e.timestampMs));
    await env.adapters.aggregateStore.writeBatch(raw, (fresh, b) => planCountDeltas(fresh, undefined, b));
  }
}

/**
 * Merges as the identity contract stores them (migration 021): every id of a person has a distinct_ids row whose
 * person_id is the surviving id (the survivor's row points to itself). Ids never merged get their own row or, as
 * history from before people were tracked, none (`withoutRow`).
 */
async function writeMerges(
  projectId: string,
  ids: string[],
  merges: ReadonlyMap<string, string>,
  withoutRow: (id: string) => boolean,
): Promise<void> {
  const sql = env.adapters.sql;
  const now = new Date();
  for (const id of ids) {
    const person = merges.get(id) ?? id;
    if (person === id && ![...merges.values()].includes(id) && withoutRow(id)) continue;
    await sql`insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
      values (${tenant.id}, ${projectId}, ${id}, ${person}, ${person === id}, ${now}, ${now}, 1)
      on conflict (tenant_id, project_id, distinct_id) do update set person_id = excluded.person_id`;
  }
}

const bodyOf = (q: RefQuery, project: string) => ({
  project,
  steps: q.steps.map((s) => ({ event_type: s.eventType, filters: s.filters })),
  window: `${q.windowMs / 1000}s`,
  from: new Date(q.fromMs).toISOString(),
  to: new Date(q.toMs).toISOString(),
  order: q.order,
  exclusions: q.exclusions.map((x) => ({
    event_type: x.eventType,
    filters: x.filters,
    from_step: x.fromStep,
    to_step: x.toStep,
  })),
  ...(q.breakdown === null ? {} : { breakdown: q.breakdown, breakdown_limit: q.breakdownLimit }),
});

interface ApiStep {
  event_type: string;
  [k: string]: unknown;
}
const withoutTypes = (steps: ApiStep[]) => steps.map(({ event_type: _t, ...rest }) => rest);

/** Seconds compared to the millisecond (the answer rounds to ms). */
function roundSeconds(v: unknown, seconds = false): unknown {
  if (Array.isArray(v)) return v.map((x) => roundSeconds(x, seconds));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundSeconds(x, k.includes('seconds'))]));
  return seconds && typeof v === 'number' ? Math.round(v * 1000) : v;
}

interface ListedPerson {
  person_id: string;
  reached_step: number;
  entered_at: string;
  step_times: string[];
  breakdown_value?: string;
}

/** Every page of the persons at a step, alternating POST and GET (the GET link of the page before). */
async function allPersons(body: Record<string, unknown>): Promise<ListedPerson[]> {
  const out: ListedPerson[] = [];
  let res = await call(runtime.url, '/v1/funnels/persons', { key: tenant.keys.read, json: { ...body, limit: 2 } });
  for (let page = 0; page < 100; page++) {
    expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ status: 200, body: null });
    out.push(...(res.body.persons as ListedPerson[]));
    if (res.body.next_cursor === null) return out;
    res =
      page % 2 === 0
        ? await call(runtime.url, res.body.next_url as string, { key: tenant.keys.read })
        : await call(runtime.url, '/v1/funnels/persons', {
            key: tenant.keys.read,
            json: { ...body, limit: 2, cursor: res.body.next_cursor },
          });
  }
  throw new Error('more than 100 pages');
}

const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function expectedPersons(paths: Map<string, RefPath>, step: number, status: 'converted' | 'dropped', q: RefQuery) {
  return [...paths]
    .filter(([, p]) => (status === 'converted' ? p.reached >= step : p.reached === step - 1))
    .sort(([a], [b]) => byteCmp(a, b))
    .map(([person, p]) => ({
      person_id: person,
      reached_step: p.reached,
      entered_at: new Date(p.times[0]!).toISOString(),
      step_times: p.times.map((ms) => new Date(ms).toISOString()),
      ...(q.breakdown === null ? {} : { breakdown_value: p.value }),
    }));
}

describe('funnels against the reference', () => {
  it('answers and lists persons exactly as the reference does on generated histories', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(historyArb(BASE, MIN), fc.integer({ min: 0, max: 30 }), fc.boolean(), async (h, cut, bare) => {
        const project = await newProject();
        run++;
        // Event ids are unique per tenant (dedupe): a per-run prefix keeps each run's own byte order.
        const events = h.events.map((e) => ({ ...e, eventId: `r${String(run).padStart(4, '0')}-${e.eventId}` }));
        await writeEvents(project, [events.slice(cut), events.slice(0, cut)]);
        const ids = [...new Set([...events.map((e) => e.distinctId), ...h.merges.keys()])];
        await writeMerges(project.id, ids, h.merges, (id) => bare && id.endsWith('0'));
        const ref = referencePaths(events, h.merges, h.query);
        const expected = referenceAnswer(ref, h.query);
        const body = bodyOf(h.query, project.slug);

        const res = await call(runtime.url, '/v1/funnels/query', { key: tenant.keys.read, json: body });
        expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ status: 200, body: null });
        expect(roundSeconds(withoutTypes(res.body.steps))).toEqual(roundSeconds(expected.steps));
        if (expected.breakdown_values === null) expect(res.body.breakdown_values).toBeUndefined();
        else
          expect(
            roundSeconds(
              (res.body.breakdown_values as { value: string; steps: ApiStep[] }[]).map((b) => ({
                value: b.value,
                steps: withoutTypes(b.steps),
              })),
            ),
          ).toEqual(roundSeconds(expected.breakdown_values));

        for (let step = 1; step <= h.query.steps.length; step++) {
          for (const status of step === 1 ? (['converted'] as const) : (['converted', 'dropped'] as const)) {
            const listed = await allPersons({ ...body, step, status });
            expect(listed).toEqual(expectedPersons(ref, step, status, h.query));
          }
        }
        // One breakdown value's persons (the bar of a value): those of the value, nobody else.
        const value = [...ref.values()][0]?.value;
        if (h.query.breakdown !== null && value !== undefined) {
          const listed = await allPersons({ ...body, step: 2, status: 'dropped', breakdown_value: value });
          expect(listed).toEqual(
            expectedPersons(ref, 2, 'dropped', h.query).filter((p) => p.breakdown_value === value),
          );
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('hand-built: signup → checkout (the README example)', () => {
  it('counts persons per step, follows a merge, and lists who dropped', async () => {
    const project = await newProject();
    const T = BASE;
    const ev = (distinctId: string, eventType: string, minutes: number, id: string, props = {}) =>
      ({ distinctId, eventId: `hand-${id}`, eventType, ms: T + minutes * MIN, props }) satisfies RefEvent;
    await writeEvents(project, [
      [
        ev('anna', 'signup', 0, 'e01', { country: 'fr' }),
        ev('anna', 'view_pricing', 10, 'e02'),
        ev('anna', 'checkout', 30, 'e03'),
        ev('ben', 'signup', 5, 'e04', { country: 'de' }),
        ev('ben', 'view_pricing', 20, 'e05'),
        ev('anon-c', 'signup', 60, 'e06', { country: 'fr' }),
        ev('anon-c', 'view_pricing', 90, 'e07'),
        ev('carl', 'checkout', 180, 'e08'),
      ],
    ]);
    await writeMerges(project.id, ['anon-c', 'carl'], new Map([['anon-c', 'carl']]), () => false);
    const body = {
      project: project.slug,
      steps: [{ event_type: 'signup' }, { event_type: 'view_pricing' }, { event_type: 'checkout' }],
      window: '1d',
      from: new Date(T).toISOString(),
      to: new Date(T + 86_400_000).toISOString(),
    };
    const res = await call(runtime.url, '/v1/funnels/query', { key: tenant.keys.read, json: body });
    expect(res.status).toBe(200);
    expect(res.body.steps).toEqual([
      {
        step: 1,
        event_type: 'signup',
        count: 3,
        conversion_from_first: 1,
        conversion_from_previous: null,
        drop_off: 0,
        median_seconds_to_convert: null,
        average_seconds_to_convert: null,
      },
      {
        step: 2,
        event_type: 'view_pricing',
        count: 3,
        conversion_from_first: 1,
        conversion_from_previous: 1,
        drop_off: 0,
        median_seconds_to_convert: 900,
        average_seconds_to_convert: 1100,
      },
      {
        step: 3,
        event_type: 'checkout',
        count: 2,
        conversion_from_first: 2 / 3,
        conversion_from_previous: 2 / 3,
        drop_off: 1,
        median_seconds_to_convert: 3300,
        average_seconds_to_convert: 3300,
      },
    ]);
    const dropped = await call(runtime.url, '/v1/funnels/persons', {
      key: tenant.keys.read,
      json: { ...body, step: 3, status: 'dropped' },
    });
    expect(dropped.body.persons.map((p: ListedPerson) => p.person_id)).toEqual(['ben']);
    expect(dropped.body.next_cursor).toBeNull();
  });
});

describe('equal timestamps', () => {
  it('orders them by event_id bytes: a step whose event_id sorts first comes first', async () => {
    const project = await newProject();
    const T = BASE;
    const ev = (distinctId: string, eventType: string, eventId: string) =>
      ({ distinctId, eventId, eventType, ms: T, props: {} }) satisfies RefEvent;
    // tie-a: signup's id sorts first (converts); tie-b: checkout's does (drops); tie-c: 'z' (7a) sorts before 'ü'
    // (c3 bc) in bytes, though not in most locales (converts).
    await writeEvents(project, [
      [
        ev('tie-a', 'signup', 'tie-1'),
        ev('tie-a', 'checkout', 'tie-2'),
        ev('tie-b', 'signup', 'tie-4'),
        ev('tie-b', 'checkout', 'tie-3'),
        ev('tie-c', 'signup', 'x-z'),
        ev('tie-c', 'checkout', 'x-ü'),
      ],
    ]);
    const body = {
      project: project.slug,
      steps: [{ event_type: 'signup' }, { event_type: 'checkout' }],
      window: '1h',
      from: new Date(T).toISOString(),
      to: new Date(T + 60_000).toISOString(),
    };
    const res = await call(runtime.url, '/v1/funnels/query', { key: tenant.keys.read, json: body });
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s: { count: number }) => s.count)).toEqual([3, 2]);
    const dropped = await call(runtime.url, '/v1/funnels/persons', {
      key: tenant.keys.read,
      json: { ...body, step: 2, status: 'dropped' },
    });
    expect(dropped.body.persons.map((p: ListedPerson) => p.person_id)).toEqual(['tie-b']);
  });
});

describe('the input space', () => {
  const now = Date.now();
  const valid = () => ({
    project: tenant.project.slug,
    steps: [{ event_type: 'a' }, { event_type: 'b' }],
    window: '1h',
    from: new Date(now - 86_400_000).toISOString(),
    to: new Date(now).toISOString(),
  });
  const post = (path: string, json: unknown) => call(runtime.url, path, { key: tenant.keys.read, json });
  const steps = (n: number) => Array.from({ length: n }, (_, i) => ({ event_type: `s${i}` }));

  it('takes 2 to 20 steps', async () => {
    for (const [n, status] of [
      [0, 400],
      [1, 400],
      [2, 200],
      [20, 200],
      [21, 400],
    ] as const) {
      const res = await post('/v1/funnels/query', { ...valid(), steps: steps(n) });
      expect({ n, status: res.status }).toEqual({ n, status });
      if (status === 400) expect(res.body.error.message).toMatch(/2 to 20 steps/);
    }
  });

  it('refuses bad bodies with a 400 that says how to fix them', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ window: '0s' }, /window/],
      [{ window: '91d' }, /window/],
      [{ window: '2w' }, /window/],
      [{ window: '14' }, /window/],
      [{ window: '' }, /window/],
      [{ from: '0001-01-01T00:00:00Z', to: '0001-01-02T00:00:00Z' }, /kept/],
      [{ to: '9999-12-31T23:59:59Z' }, /at most 366 days/],
      [{ to: '+275760-09-13T00:00:00Z' }, /to/],
      [{ from: 'yesterday' }, /ISO-8601/],
      [{ from: 9_000_000_000_000_000 }, /out of range/],
      [{ from: new Date(now).toISOString(), to: new Date(now - 1000).toISOString() }, /earlier/],
      [{ order: 'random' }, /order/],
      [{ steps: [{ event_type: '' }, { event_type: 'b' }] }, /event_type/],
      [{ steps: [{ event_type: 'a\u0000' }, { event_type: 'b' }] }, /NUL/],
      [{ steps: [{ event_type: 'a\ud800' }, { event_type: 'b' }] }, /surrogate/],
      [{ steps: [{ event_type: 'a', filters: { 'a..b': 'x' } }, { event_type: 'b' }] }, /filter keys/],
      [{ steps: [{ event_type: 'a', filters: { x: null } }, { event_type: 'b' }] }, /filters/],
      [{ exclusions: [{ event_type: 'x', from_step: 2, to_step: 2 }] }, /from_step/],
      [{ exclusions: [{ event_type: 'x', from_step: 1, to_step: 3 }] }, /to_step/],
      [{ breakdown: 'a..b' }, /breakdown/],
      [{ breakdown_limit: 5 }, /breakdown_limit/],
      [{ project: 'nope' }, /does not exist/],
      [{ tenant_id: tenant.id }, /tenant_id|unrecognized/i],
    ];
    for (const [over, message] of cases) {
      const res = await post('/v1/funnels/query', { ...valid(), ...over });
      expect({ over, status: res.status }).toEqual({ over, status: over.project === 'nope' ? 404 : 400 });
      expect({ over, message: res.body.error.message }).toEqual({ over, message: expect.stringMatching(message) });
    }
  });

  it('accepts unicode event types, filters and breakdown paths', async () => {
    const res = await post('/v1/funnels/query', {
      ...valid(),
      steps: [{ event_type: 'café ☕', filters: { 'pays.région': 'Île-de-France' } }, { event_type: '𝔘𝔫𝔦' }],
      breakdown: 'ünï.côdé',
    });
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s: { count: number }) => s.count)).toEqual([0, 0]);
    expect(res.body.breakdown_values).toEqual([]);
  });

  it('refuses bad persons requests and cursors', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ step: 3 }, /step/],
      [{ step: 1, status: 'dropped' }, /step 2 or later/],
      [{ step: 1, status: 'lost' }, /status/],
      [{ step: 1, cursor: 'garbage' }, /cursor/],
      [{ step: 1, cursor: Buffer.from('[1,"x","p"]').toString('base64url') }, /cursor/],
      [{ step: 1, limit: 0 }, /limit/],
      [{ step: 1, limit: 1001 }, /limit/],
      [{ step: 1, breakdown_value: 'fr' }, /breakdown_value/],
      [{ step: 1, breakdown: 'country', breakdown_value: '$other' }, /\$other/],
    ];
    for (const [over, message] of cases) {
      const res = await post('/v1/funnels/persons', { ...valid(), ...over });
      expect({ over, status: res.status }).toEqual({ over, status: 400 });
      expect({ over, message: res.body.error.message }).toEqual({ over, message: expect.stringMatching(message) });
    }
    for (const q of [
      '',
      'query=',
      'query=%%%',
      'query=bm90IGpzb24',
      `query=${Buffer.from('[1]').toString('base64url')}`,
    ]) {
      const res = await call(runtime.url, `/v1/funnels/persons?${q}`, { key: tenant.keys.read });
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
    }
  });

  it('a cursor only continues the query it was given for', async () => {
    const project = await newProject();
    await writeEvents(project, [
      ['p1', 'p2', 'p3'].map((u, i) => ({ distinctId: u, eventId: `cur-${i}`, eventType: 'a', ms: BASE, props: {} })),
    ]);
    const body = { ...valid(), project: project.slug, from: new Date(BASE).toISOString(), step: 1, limit: 1 };
    const first = await post('/v1/funnels/persons', body);
    expect(first.status).toBe(200);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const other = await post('/v1/funnels/persons', { ...body, window: '2h', cursor: first.body.next_cursor });
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('invalid_cursor');
  });

  it('never answers 5xx, whatever the body', async () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.array(fc.record({ event_type: fc.string(), filters: fc.dictionary(fc.string(), fc.string()) }), {
        maxLength: 22,
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            steps: field,
            window: fc.oneof(field, fc.constantFrom('1s', '90d', '90d1', '2160h', '129600m')),
            from: field,
            to: field,
            order: fc.oneof(field, fc.constantFrom('ordered', 'strict', 'any')),
            breakdown: field,
            exclusions: field,
            step: field,
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom('/v1/funnels/query', '/v1/funnels/persons'),
        async (over, path) => {
          const res = await post(path, { ...valid(), ...over });
          expect({ over, status: res.status < 500 }).toEqual({ over, status: true });
        },
      ),
      { numRuns: 150 },
    );
  });
});
