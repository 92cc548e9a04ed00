import { createCatalogRegistry, type CatalogStore } from './registry';
import { CatalogPlan, type CatalogChanges } from '../../core/catalog';
import type { CatalogLoad, CatalogWrite } from '../postgres/catalog-store';

const T = '00000000-0000-4000-8000-000000000001';
const P = '00000000-0000-4000-8000-0000000000aa';
const LIMITS = { maxEventTypes: 1000, maxPropertiesPerType: 500 };

/** A store that records every call, answering loads from a script and failing writes on demand. */
function fakeStore(loads: Partial<CatalogLoad>[] = [{}]) {
  const calls = { load: [] as (Date | null)[], write: [] as CatalogWrite[] };
  let failWrites: unknown[] = [];
  let failLoads = 0;
  const store: CatalogStore = {
    async load(_t, _p, since) {
      calls.load.push(since);
      if (failLoads > 0) {
        failLoads--;
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      }
      const next = loads.length > 1 ? loads.shift()! : loads[0]!;
      return {
        mode: 'open',
        at: new Date(Date.parse('2026-11-27T10:00:00Z')),
        types: [],
        properties: [],
        violationTypes: [],
        ...next,
      };
    },
    async write(w) {
      calls.write.push(structuredClone(w));
      const failure = failWrites.shift();
      if (failure) throw failure;
    },
  };
  return {
    store,
    calls,
    failNextWrites: (...errors: unknown[]) => (failWrites = errors),
    failNextLoads: (n: number) => (failLoads = n),
  };
}

function clock(start = Date.parse('2026-11-27T10:00:00Z')) {
  const c = { now: start, advance: (ms: number) => (c.now += ms) };
  return c;
}

/** What a request of `events` does to the registry: plan against the snapshot, then record. */
async function ingest(
  registry: ReturnType<typeof createCatalogRegistry>,
  nowMs: number,
  events: { eventType: string; properties?: Record<string, unknown>; eventId?: string }[],
): Promise<CatalogChanges> {
  const plan = new CatalogPlan(await registry.snapshot(T, P), LIMITS, 'web');
  events.forEach((e, index) =>
    plan.check(
      { index, eventId: e.eventId ?? `e${index}`, eventType: e.eventType, properties: e.properties ?? {} },
      nowMs,
    ),
  );
  registry.record(T, P, plan.changes);
  return plan.changes;
}

describe('the catalog registry', () => {
  it('loads a project once per TTL and shares one load between concurrent callers', async () => {
    const { store, calls } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 5_000, flushIntervalMs: 1_000, now: () => c.now });
    const [a, b] = await Promise.all([registry.snapshot(T, P), registry.snapshot(T, P)]);
    expect(a).toBe(b);
    c.advance(4_999);
    await registry.snapshot(T, P);
    expect(calls.load).toEqual([null]);
    c.advance(1);
    await registry.snapshot(T, P);
    // The refresh reads only what changed since a little before the previous read (database clock).
    expect(calls.load).toEqual([null, new Date(Date.parse('2026-11-27T10:00:00Z') - 30_000)]);
  });

  it('ingesting 500 events of known and new types costs no store call; one flush writes them with one batched write', async () => {
    // Prepare
    const { store, calls } = fakeStore([
      {
        types: [{ eventType: 'page_view', declared: false, status: 'active' }],
        properties: [
          { eventType: 'page_view', property: 'path', observed: ['string'], declared: null, lastSeenMs: null },
        ],
      },
    ]);
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 5_000, flushIntervalMs: 1_000, now: () => c.now });
    await registry.snapshot(T, P);
    const loadsBefore = calls.load.length;

    // Act
    const events = Array.from({ length: 500 }, (_, i) =>
      i % 5 === 0
        ? { eventType: `new_${i % 20}`, properties: { n: i } }
        : { eventType: 'page_view', properties: { path: `/p/${i}` } },
    );
    await ingest(registry, c.now, events);
    await ingest(registry, c.now + 1, events);

    // Assess
    expect(calls.load.length).toBe(loadsBefore);
    expect(calls.write).toHaveLength(0);
    await registry.flushIfDue();
    expect(calls.write).toHaveLength(1);
    const w = calls.write[0]!;
    expect(w.types.map((t) => t.y).sort()).toEqual(['new_0', 'new_10', 'new_15', 'new_5', 'page_view']);
    expect(w.types.find((t) => t.y === 'page_view')).toEqual({
      t: T,
      p: P,
      y: 'page_view',
      f: new Date(c.now).toISOString(),
      l: new Date(c.now + 1).toISOString(),
    });
    expect(w.properties.find((p) => p.y === 'new_5')).toMatchObject({ n: 'n', o: ['number'] });
    // The known property gets its first last_seen from this process; its types are not new.
    expect(w.properties.find((p) => p.y === 'page_view')).toMatchObject({ n: 'path', o: [] });
    expect(w.violations).toEqual([]);
  });

  it('flushes at most once per interval, and only when something is buffered', async () => {
    const { store, calls } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 60_000, flushIntervalMs: 1_000, now: () => c.now });
    await registry.flushIfDue();
    expect(calls.write).toHaveLength(0);
    await ingest(registry, c.now, [{ eventType: 'a' }]);
    await registry.flushIfDue();
    await ingest(registry, c.now, [{ eventType: 'b' }]);
    c.advance(999);
    await registry.flushIfDue();
    expect(calls.write).toHaveLength(1);
    c.advance(1);
    await registry.flushIfDue();
    expect(calls.write.map((w) => w.types.map((t) => t.y))).toEqual([['a'], ['b']]);
  });

  it('makes its own registrations count at once: a second request does not register the same type again', async () => {
    const { store } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 60_000, flushIntervalMs: 1_000, now: () => c.now });
    const first = await ingest(registry, c.now, [{ eventType: 'signup', properties: { plan: 'pro' } }]);
    const second = await ingest(registry, c.now, [{ eventType: 'signup', properties: { plan: 'team' } }]);
    expect(first.types.get('signup')).toMatchObject({ isNew: true, newProperties: 1 });
    expect(second.types.get('signup')).toMatchObject({ isNew: false, newProperties: 0 });
    expect(second.types.get('signup')!.properties.get('plan')!.newTypes).toBe(0);
    // Unflushed registrations count against the caps too.
    const snapshot = await registry.snapshot(T, P);
    expect(snapshot.types.size).toBe(1);
  });

  it("writes a known property's last_seen at most once a minute, a type's on every flush", async () => {
    const { store, calls } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 600_000, flushIntervalMs: 1_000, now: () => c.now });
    await ingest(registry, c.now, [{ eventType: 'a', properties: { x: 1 } }]);
    await registry.flush();
    c.advance(30_000);
    await ingest(registry, c.now, [{ eventType: 'a', properties: { x: 2 } }]);
    await registry.flush();
    c.advance(30_000);
    await ingest(registry, c.now, [{ eventType: 'a', properties: { x: 3 } }]);
    await registry.flush();
    expect(calls.write.map((w) => [w.types.length, w.properties.length])).toEqual([
      [1, 1],
      [1, 0],
      [1, 1],
    ]);
  });

  it('applies declarations and schema modes on the refresh after an invalidation', async () => {
    const { store, calls } = fakeStore([
      { mode: 'open' },
      {
        mode: 'strict',
        types: [{ eventType: 'order', declared: true, status: 'active' }],
        properties: [{ eventType: 'order', property: 'total', observed: [], declared: 'number', lastSeenMs: null }],
      },
    ]);
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 60_000, flushIntervalMs: 1_000, now: () => c.now });
    expect((await registry.snapshot(T, P)).mode).toBe('open');
    registry.invalidate(T, P);
    const s = await registry.snapshot(T, P);
    expect(calls.load).toHaveLength(2);
    expect(s.mode).toBe('strict');
    expect(s.types.get('order')).toMatchObject({ declared: true });
    expect(s.types.get('order')!.properties.get('total')).toMatchObject({ declared: 'number' });
  });

  it('keeps the changes of a failed write for the next flush, merged with newer ones', async () => {
    const { store, calls, failNextWrites } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 60_000, flushIntervalMs: 1_000, now: () => c.now });
    failNextWrites(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
    const strict = { eventType: 'x' };
    await ingest(registry, c.now, [strict, { eventType: 'a' }]);
    await registry.flushIfDue(); // fails, never throws
    c.advance(1_000);
    await ingest(registry, c.now, [{ eventType: 'a' }, { eventType: 'b' }]);
    await registry.flushIfDue();
    expect(calls.write).toHaveLength(2);
    expect(calls.write[1]!.types.map((t) => [t.y, t.f, t.l])).toEqual([
      ['x', new Date(c.now - 1_000).toISOString(), new Date(c.now - 1_000).toISOString()],
      ['a', new Date(c.now - 1_000).toISOString(), new Date(c.now).toISOString()],
      ['b', new Date(c.now).toISOString(), new Date(c.now).toISOString()],
    ]);
  });

  it('drops a flush that Postgres refuses for its data (retrying could never succeed)', async () => {
    const { store, calls, failNextWrites } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 60_000, flushIntervalMs: 1_000, now: () => c.now });
    failNextWrites(Object.assign(new Error('invalid byte sequence'), { code: '22021' }));
    await ingest(registry, c.now, [{ eventType: 'a' }]);
    await registry.flush();
    c.advance(1_000);
    await registry.flushIfDue();
    expect(calls.write).toHaveLength(1);
  });

  it('records violations with counts and samples', async () => {
    const { store, calls } = fakeStore([{ mode: 'strict' }]);
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 60_000, flushIntervalMs: 1_000, now: () => c.now });
    await ingest(registry, c.now, [
      { eventType: 'nope', eventId: 'a' },
      { eventType: 'nope', eventId: 'b' },
    ]);
    await registry.flush();
    expect(calls.write[0]!.violations).toEqual([
      {
        t: T,
        p: P,
        y: 'nope',
        r: 'unknown_event_type',
        c: 2,
        f: new Date(c.now).toISOString(),
        l: new Date(c.now).toISOString(),
        s: [expect.objectContaining({ event_id: 'b' }), expect.objectContaining({ event_id: 'a' })],
      },
    ]);
    expect((await registry.snapshot(T, P)).violationTypes.has('nope')).toBe(true);
  });

  it('serves the cached catalog when a refresh fails, and fails when there is none yet', async () => {
    const { store, failNextLoads } = fakeStore();
    const c = clock();
    const registry = createCatalogRegistry(store, { cacheTtlMs: 5_000, flushIntervalMs: 1_000, now: () => c.now });
    failNextLoads(1);
    await expect(registry.snapshot(T, P)).rejects.toThrow('connection refused');
    const s = await registry.snapshot(T, P);
    c.advance(5_000);
    failNextLoads(1);
    expect(await registry.snapshot(T, P)).toBe(s);
  });
});
