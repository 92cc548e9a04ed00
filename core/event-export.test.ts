import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  canonicalParams,
  decodeExportCursor,
  encodeExportCursor,
  envelopeBytes,
  EXPORT_MAX_PAGE_BYTES,
  exportPage,
  ndjsonLine,
  resumeOrStart,
  type EventExportStore,
  type ExportCursor,
  type ExportParams,
  type ExportQuery,
  type ExportRow,
} from './event-export';

const KEY = Buffer.alloc(32, 7);
const TENANT = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';

const params = (over: Partial<ExportParams> = {}): ExportParams => ({
  fromMs: Date.parse('2026-11-01T00:00:00Z'),
  toMs: Date.parse('2026-11-02T00:00:00Z'),
  project: null,
  eventTypes: [],
  userId: null,
  sessionId: null,
  props: [],
  format: 'ndjson',
  limit: 100,
  ...over,
});
const cursorOf = (p: ExportParams): ExportCursor => ({
  cutoff: '2026-11-27T10:00:00.123456Z',
  after: { ts: '2026-11-01T10:00:00.000Z', eventId: 'e-1' },
  done: 5,
  params: p,
});
const isInvalidCursor = expect.objectContaining({ kind: 'invalid', code: 'invalid_cursor' });

describe('export cursor', () => {
  const text = fc
    .string({ unit: 'binary', maxLength: 20 })
    .filter((s) => !s.includes('\u0000') && !/[\ud800-\udfff]/.test(s));
  const anyParams = fc.record({
    fromMs: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_998 }),
    span: fc.integer({ min: 1, max: 10 ** 12 }),
    project: fc.option(text),
    eventTypes: fc.array(text, { maxLength: 3 }),
    userId: fc.option(text),
    sessionId: fc.option(text),
    props: fc.array(fc.tuple(fc.array(text, { minLength: 1, maxLength: 3 }), text), { maxLength: 3 }),
    format: fc.constantFrom('ndjson' as const, 'csv' as const),
    limit: fc.integer({ min: 1, max: 10_000 }),
  });

  it('round-trips every cursor it writes, for its tenant only', () => {
    fc.assert(
      fc.property(anyParams, ({ span, ...rest }) => {
        const p = { ...rest, toMs: Math.min(rest.fromMs + span, 253_402_300_800_000) };
        const c = cursorOf(p);
        const raw = encodeExportCursor(c, KEY, TENANT);
        expect(decodeExportCursor(raw, KEY, TENANT)).toEqual(c);
        expect(() => decodeExportCursor(raw, KEY, OTHER)).toThrow(isInvalidCursor);
        expect(() => decodeExportCursor(raw, Buffer.alloc(32, 8), TENANT)).toThrow(isInvalidCursor);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses any change to a cursor with 400 invalid_cursor', () => {
    const raw = encodeExportCursor(cursorOf(params({ eventTypes: ['a', 'b'] })), KEY, TENANT);
    fc.assert(
      fc.property(fc.nat({ max: raw.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }), (at, s) => {
        const changed = raw.slice(0, at) + s + raw.slice(at + 1);
        fc.pre(changed !== raw);
        expect(() => decodeExportCursor(changed, KEY, TENANT)).toThrow(isInvalidCursor);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses arbitrary text, and a re-signed payload it would not write, with 400 invalid_cursor', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(() => decodeExportCursor(s, KEY, TENANT)).toThrow(isInvalidCursor);
      }),
      { numRuns: 500 },
    );
    // Signed with the right key but holding values no export writes (a defect or a leaked key): still a 400.
    const good = encodeExportCursor(cursorOf(params()), KEY, TENANT);
    const payload = JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString('utf8')) as unknown[];
    const forge = (i: number, v: unknown) => {
      const body = Buffer.from(JSON.stringify(payload.map((x, j) => (j === i ? v : x)))).toString('base64url');
      const mac = createHmac('sha256', KEY).update(`export.v1\n${TENANT}\n${body}`).digest('base64url');
      return `${body}.${mac}`;
    };
    expect(decodeExportCursor(forge(3, 'e-1'), KEY, TENANT).after.eventId).toBe('e-1'); // the forge itself works
    for (const [i, v] of [
      [1, '+275760-09-13T00:00:00.000Z'],
      [2, '2026-02-30T00:00:00Z'],
      [3, 'a\u0000b'],
      [3, 'x'.repeat(513)],
      [4, -1],
      [5, 1e20],
      [6, payload[5]],
      [12, 'json'],
      [13, 10_001],
      [8, [5]],
      [11, [[['a'], 5]]],
    ] as [number, unknown][]) {
      expect(() => decodeExportCursor(forge(i, v), KEY, TENANT)).toThrow(isInvalidCursor);
    }
  });
});

describe('resumeOrStart', () => {
  it('needs a range without a cursor, and the same parameters (in any order) with one', () => {
    expect(() => resumeOrStart(null, null)).toThrow(expect.objectContaining({ code: 'invalid_parameter' }));
    const p = canonicalParams(
      params({
        eventTypes: ['b', 'a', 'b'],
        props: [
          [['y'], '2'],
          [['x'], '1'],
        ],
      }),
    );
    const c = cursorOf(p);
    expect(resumeOrStart(null, c)).toEqual({ params: p, cursor: c });
    expect(
      resumeOrStart(
        params({
          eventTypes: ['a', 'b'],
          props: [
            [['x'], '1'],
            [['y'], '2'],
          ],
        }),
        c,
      ).params,
    ).toEqual(p);
    expect(() => resumeOrStart(params({ eventTypes: ['a'] }), c)).toThrow(isInvalidCursor);
    expect(() => resumeOrStart({ ...p, format: 'csv' }, c)).toThrow(isInvalidCursor);
  });
});

// ── paging against an in-memory store: the reference is "every stored-by-cutoff match, sorted, once" ──

interface ModelEvent {
  id: string;
  ts: number;
  type: string;
  plan: string;
  /** Stored after the cutoff. */
  late: boolean;
  size: number;
}

function memoryStore(events: ModelEvent[], onRead: () => void): EventExportStore {
  const CUTOFF = '2026-11-27T10:00:00.000000Z';
  const row = (e: ModelEvent): ExportRow => ({
    eventId: e.id,
    eventType: e.type,
    project: 'web',
    tsText: new Date(e.ts).toISOString(),
    timestamp: new Date(e.ts).toISOString(),
    receivedAt: new Date(e.ts).toISOString(),
    userId: null,
    sessionId: null,
    propertiesJson: JSON.stringify({ plan: e.plan, pad: 'x'.repeat(e.size) }),
    contextJson: null,
  });
  return {
    cutoff: async () => CUTOFF,
    cursorKey: async () => KEY,
    async read(q: ExportQuery) {
      onRead();
      expect(q.cutoff).toBe(CUTOFF);
      const after = q.after;
      return events
        .filter(
          (e) =>
            !e.late &&
            e.ts >= q.fromMs &&
            e.ts < q.untilMs &&
            (after === null ||
              e.ts > Date.parse(after.ts) ||
              (e.ts === Date.parse(after.ts) && e.id > after.eventId)) &&
            (q.eventTypes.length === 0 || q.eventTypes.includes(e.type)) &&
            q.props.every(([path, v]) => path[0] === 'plan' && e.plan === v),
        )
        .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
        .slice(0, q.limit)
        .map(row);
    },
  };
}

describe('exportPage', () => {
  it('lists every matching event stored by the cutoff once, in order, within each page bound', async () => {
    const from = Date.parse('2026-11-01T00:00:00Z');
    const event = fc.record({
      id: fc.string({ unit: fc.constantFrom('a', 'b', 'c', '0'), minLength: 1, maxLength: 4 }),
      ts: fc.oneof(
        fc.integer({ min: from - 5, max: from + 5 }),
        fc.integer({ min: from, max: from + 30 * 86_400_000 }),
      ),
      type: fc.constantFrom('x', 'y'),
      plan: fc.constantFrom('pro', 'free'),
      late: fc.boolean(),
      size: fc.oneof({ arbitrary: fc.constant(10), weight: 9 }, { arbitrary: fc.constant(1_500_000), weight: 1 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(event, { selector: (e) => e.id, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.constantFrom<string[][]>([], ['x'], ['x', 'y']),
        fc.integer({ min: 1, max: 30 }),
        async (events, limit, byPlan, eventTypes, days) => {
          let clock = 0;
          // Each read takes 2 s of the scan budget, so filtered pages stop short.
          const store = memoryStore(events, () => (clock += 2_000));
          const p = canonicalParams(
            params({
              fromMs: from,
              toMs: from + days * 86_400_000,
              limit,
              eventTypes,
              props: byPlan ? [[['plan'], 'pro']] : [],
            }),
          );
          const expected = events
            .filter(
              (e) =>
                !e.late &&
                e.ts >= p.fromMs &&
                e.ts < p.toMs &&
                (eventTypes.length === 0 || eventTypes.includes(e.type)) &&
                (!byPlan || e.plan === 'pro'),
            )
            .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
            .map((e) => e.id);
          const got: string[] = [];
          let cursor: ExportCursor | null = null;
          let lastFraction = 0;
          for (let i = 0; i < 500; i++) {
            const page = await exportPage({ tenantId: TENANT, projectIds: null, store, now: () => clock }, p, cursor);
            const lines = page.body.split('\n').filter((l) => l !== '');
            expect(lines).toHaveLength(page.rows);
            expect(page.rows).toBeLessThanOrEqual(limit);
            if (page.rows > 1) expect(envelopeBytes(page.body)).toBeLessThanOrEqual(EXPORT_MAX_PAGE_BYTES);
            expect(page.fraction).toBeGreaterThanOrEqual(lastFraction);
            lastFraction = page.fraction;
            got.push(...lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id));
            expect(page.done).toBe(got.length);
            if (page.next === null) {
              expect(page.fraction).toBe(1);
              break;
            }
            expect(page.fraction).toBeLessThan(1);
            cursor = decodeExportCursor(page.next, KEY, TENANT);
          }
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes ndjson lines with the stored JSON text as it is (numbers beyond doubles kept)', () => {
    const line = ndjsonLine({
      eventId: 'e"1',
      eventType: 'sign\nup',
      project: 'web',
      tsText: '2026-11-01T00:00:00.000000Z',
      timestamp: '2026-11-01T00:00:00.000Z',
      receivedAt: '2026-11-01T00:00:00.000Z',
      userId: null,
      sessionId: 's',
      propertiesJson: '{"n": 12345678901234567890123}',
      contextJson: null,
    });
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain('"properties":{"n": 12345678901234567890123}');
    expect(JSON.parse(line)).toEqual(
      expect.objectContaining({ event_id: 'e"1', event_type: 'sign\nup', user_id: null, context: null }),
    );
  });
});
