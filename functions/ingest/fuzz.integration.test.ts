// Thousands of generated bad bodies and events against the real ingest path: never a 5xx, never an
// invalid event accepted, every valid event next to them still accepted.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { useTestEnv } from '../../test/harness';
import { call } from '../../test/builders';

const { runtime, tenant } = useTestEnv('fuzz', {
  // Random property names on four event types would reach the catalog's property cap (catalog_limit): not what this tests.
  overrides: {
    RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
    RATE_LIMIT_BURST: '10000000',
    CATALOG_MAX_PROPERTIES: '100000',
  },
  tenants: 1,
  runtime: { consumers: false },
});

const NOW = Date.now();
const validEvent = fc.record(
  {
    event_type: fc.constantFrom('signup', 'Order Completed', 'checkout_failed', 'Bestellung ✅'),
    project: fc.constant('web'),
    user_id: fc.option(
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u.test(s)),
      { nil: undefined },
    ),
    properties: fc.option(
      fc.dictionary(
        fc.string({ maxLength: 10 }),
        fc.oneof(
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.string({ maxLength: 20 }),
          fc.boolean(),
        ),
      ),
      { nil: undefined },
    ),
    timestamp: fc.option(fc.integer({ min: NOW - 86_400_000, max: NOW }), { nil: undefined }),
  },
  { requiredKeys: ['event_type', 'project'] },
);

const badValue = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
  fc.double(),
);
const nonText = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const control = fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c));
const nest = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: 1 } : { n: nest(depth - 1) });

/** Events that break exactly one rule each. */
const invalidEvent = fc.oneof(
  fc.record({ project: fc.constant('web') }), // no event_type
  nonText.map((event_type) => ({ event_type, project: 'web' })),
  fc
    .constantFrom('', ' padded', 'padded ', '$reserved', 'x'.repeat(201))
    .map((event_type) => ({ event_type, project: 'web' })),
  fc
    .tuple(fc.string({ maxLength: 5 }), control, fc.string({ maxLength: 5 }))
    .map(([a, c, b]) => ({ event_type: `a${a}${c}${b}z`, project: 'web' })),
  fc
    .oneof(
      fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', 'yesterday', '2026-13-45T99:00:00Z', ''),
      fc.constant(NOW + 2 * 3_600_000),
      fc.constant(NOW - 400 * 86_400_000),
      fc.constant(1_764_237_600),
      fc.constant(1.5e12 + 0.5),
      fc.constant(true),
      fc.constant({}),
    )
    .map((timestamp) => ({ event_type: 'signup', project: 'web', timestamp })),
  fc
    .oneof(fc.constant(''), fc.constant('x'.repeat(129)), nonText, control)
    .map((event_id) => ({ event_type: 'signup', project: 'web', event_id })),
  fc.oneof(fc.constant('u'.repeat(257)), nonText).map((user_id) => ({ event_type: 'signup', project: 'web', user_id })),
  fc
    .oneof(fc.constant('s'.repeat(257)), nonText)
    .map((session_id) => ({ event_type: 'signup', project: 'web', session_id })),
  fc
    .oneof(
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(nest(6)),
      fc.constant({ big: 'x'.repeat(33 * 1024) }),
      fc.constant({ nul: 'a\u0000b' }),
      fc.constant({ 'k\u0000': 1 }),
    )
    .map((properties) => ({ event_type: 'signup', project: 'web', properties })),
  fc.constantFrom('nope', 'WEB', '', 'other-tenants-project').map((project) => ({ event_type: 'signup', project })),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter(
      (k) =>
        ![
          'event_type',
          'project',
          'timestamp',
          'event_id',
          'user_id',
          'session_id',
          'properties',
          'tenant_id',
        ].includes(k),
    )
    .chain((k) => badValue.map((v) => ({ event_type: 'signup', project: 'web', [k]: v }))),
  badValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
);

type Labeled = { event: unknown; valid: boolean };
const labeledEvent: fc.Arbitrary<Labeled> = fc.oneof(
  validEvent.map((event) => ({ event, valid: true })),
  invalidEvent.map((event) => ({ event, valid: false })),
);

/** Bodies that must be refused whole with a 4xx. */
const badBody = fc.oneof(
  fc.string({ maxLength: 50 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc
    .json()
    .map((j) => j.slice(0, Math.max(0, j.length - 1)))
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
  fc.constantFrom(
    '[]',
    '[{"event_type":"a","project":"web"}]',
    '"text"',
    '42',
    'null',
    'true',
    '{"events":[]}',
    '{"events":{}}',
    '{"events":"a"}',
    '{"event_type":"a","event_type":"b","project":"web"}',
    '{"events":[{"event_type":"a","project":"web","project":"web"}]}',
    '{"events":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
  ),
);

const statuses = new Map<number, number>();
function count(status: number) {
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
}

describe('fuzzing POST /v1/events', () => {
  it('accepts exactly the valid events of generated batches and never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(labeledEvent, { minLength: 1, maxLength: 8 }), fc.boolean(), async (items, gzip) => {
        const body = JSON.stringify({ events: items.map((i) => i.event) });
        const res = await call(runtime.url, '/v1/events', {
          key: tenant.keys.ingest,
          body: gzip ? gzipSync(body) : body,
          headers: { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
        });
        count(res.status);
        expect(res.status).toBeLessThan(500);
        const anyValid = items.some((i) => i.valid);
        if (!anyValid) {
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('no_events_accepted');
          expect(res.body.error.details).toHaveLength(items.length);
          return;
        }
        expect(res.status).toBe(202);
        items.forEach((item, index) => {
          if (item.valid) expect(res.body.event_ids[index]).toEqual(expect.any(String));
          else expect(res.body.event_ids[index]).toBeNull();
        });
        expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual(
          items.flatMap((i, index) => (i.valid ? [] : [index])),
        );
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1500) },
    );
  }, 300_000); // 1500 bounded runs; the limit only stops a hung run on a loaded machine

  it('refuses malformed bodies, wrong content types and odd credentials with a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        badBody,
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          '',
          'application/json; charset=latin1',
        ),
        fc.constantFrom('ingest', 'none', 'unknown', 'both-different', 'garbage'),
        async (body, contentType, auth) => {
          const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
          if (auth === 'ingest') headers.Authorization = `Bearer ${tenant.keys.ingest}`;
          if (auth === 'unknown') headers.Authorization = 'Bearer cs_' + 'A'.repeat(32);
          if (auth === 'both-different')
            Object.assign(headers, { Authorization: `Bearer ${tenant.keys.ingest}`, 'X-Api-Key': tenant.keys.read });
          if (auth === 'garbage') headers.Authorization = 'Basic \u00ff\u00fe';
          const res = await call(runtime.url, '/v1/events', { method: 'POST', body, headers });
          count(res.status);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(res.body).toEqual({
            error: {
              code: expect.any(String),
              message: expect.any(String),
              ...(res.body.error?.details ? { details: expect.any(Array) } : {}),
            },
            request_id: expect.any(String),
          });
        },
      ),
      { numRuns: 1500 },
    );
  });

  afterAll(() => {
    // How the generated traffic was answered, for the log of the run.
    process.stdout.write(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
  });
});
