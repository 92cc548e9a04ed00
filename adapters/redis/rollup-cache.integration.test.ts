// The Redis rollup cache on real Redis: buckets kept 60 to a hash (page), each field `<version> <value>`, written
// through the version guard. Property: after any interleaving of writes (any versions, pages, series, zone
// generations, decimal texts), read answers, key by key in the keys' order, exactly
// the newest version written for that bucket (ties: the first write), and a miss for every bucket never written;
// also when read between the writes by another process's cache, which keeps the pages it read under their tokens;
// and those pages' tokens change exactly when a write changed one of them.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useTestEnv } from '../../test/harness';
import { INTERVAL_MS, INTERVALS } from '../../core/intervals';
import type { RollupKey, RollupValue } from '../../core/rollups';
import { createRollupCache, PAGE_TOKEN_FIELD, rollupCacheKey } from './rollup-cache';

const { env } = useTestEnv('rollupcache');

const bucket = fc.record({
  project: fc.constantFrom('p1', 'p2'),
  metric: fc.constantFrom('count', 'sum:a b', 'unique_users'),
  interval: fc.constantFrom(...INTERVALS),
  eventType: fc.constantFrom('page_view', 'sign up', 'ü/%:{x}'),
  generation: fc.constantFrom(0, 2),
  // Bucket starts near page edges and anywhere: n buckets of the interval plus an offset (local hours and days).
  n: fc.integer({ min: -130, max: 130 }),
  offset: fc.constantFrom(0, 1_000, 20_700_000),
});

type Bucket = typeof bucket extends fc.Arbitrary<infer T> ? T : never;

const keyOf = (tenantId: string, b: Bucket): RollupKey => ({
  tenantId,
  projectId: b.project,
  metric: b.metric,
  interval: b.interval,
  eventType: b.eventType,
  bucketMs: 1_764_000_000_000 + b.n * INTERVAL_MS[b.interval] + b.offset,
  ...(b.generation ? { zoneGeneration: b.generation } : {}),
});

const id = (k: RollupKey) =>
  JSON.stringify([k.projectId, k.metric, k.interval, k.eventType, k.zoneGeneration ?? 0, k.bucketMs]);

// Another process's cache (its own connection and page memo), reading what this process's cache writes.
let reader: ReturnType<typeof createRollupCache>;
let readerRedis: ReturnType<typeof env.adapters.redis.duplicate>;
beforeAll(() => {
  readerRedis = env.adapters.redis.duplicate();
  reader = createRollupCache(readerRedis);
});
afterAll(async () => {
  await readerRedis.quit();
});

describe('rollup cache (Redis pages)', () => {
  it('reads back the newest version written per bucket, in the keys’ order, and misses the rest', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Writes drawn from a few buckets, so the same bucket is written several times (ties included).
        fc.array(bucket, { minLength: 1, maxLength: 10 }).chain((pool) =>
          fc.array(
            fc.record({
              b: fc.constantFrom(...pool),
              version: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 52 })),
              text: fc.oneof(
                fc.integer().map(String),
                fc.constantFrom('0', '-1.5', '12345678901234567890.125', '3;1,2'),
              ),
            }),
            { minLength: 1, maxLength: 60 },
          ),
        ),
        fc.array(bucket, { maxLength: 20 }),
        fc.integer({ min: 1, max: 4 }),
        async (writes, others, batches) => {
          const tenantId = randomUUID();
          const newest = new Map<string, { version: number; text: string }>();
          const values: RollupValue[] = writes.map((w) => ({
            ...keyOf(tenantId, w.b),
            value: Number(w.text),
            text: w.text,
            version: w.version,
          }));
          const written = values.map((v) => ({ ...v }) as RollupKey);
          // In a few calls (each its own pipeline), so the guard decides across calls as well as within one; after
          // each, the other process reads every bucket the run writes (some not written yet).
          const size = Math.ceil(values.length / batches);
          let before: Awaited<ReturnType<typeof reader.readWithPages>> | undefined;
          for (let i = 0; i < values.length; i += size) {
            const batch = values.slice(i, i + size);
            await env.adapters.rollupCache.write(batch);
            let changed = false;
            for (const v of batch) {
              const seen = newest.get(id(v));
              if (seen && seen.version >= v.version) continue;
              newest.set(id(v), { version: v.version, text: v.text! });
              changed = true;
            }
            // Named with the earlier read's pages (as a series memo does), the read says whether they changed.
            const known = before?.pages ? { layout: before.layout, pages: before.pages } : undefined;
            const again = known && (await reader.readWithPages(written, known));
            if (again) expect(again.unchanged).toBe(!changed);
            const read = await reader.readWithPages(written);
            const { cached, pages } = read;
            written.forEach((k, j) =>
              expect({ k: id(k), got: cached[j] && { version: cached[j]!.version, text: cached[j]!.text } }).toEqual({
                k: id(k),
                got: newest.get(id(k)),
              }),
            );
            if (again && !again.unchanged) expect(again.cached).toEqual(cached);
            // Every page written holds a token; a page not written yet has none.
            const pagesWritten = new Set(written.filter((k) => newest.has(id(k))).map(rollupCacheKey));
            expect(pages === null).toBe(written.some((k) => !pagesWritten.has(rollupCacheKey(k))));
            if (before?.pages && pages !== null) expect(pages !== before.pages).toBe(changed);
            before = read;
          }
          const keys = [...values.map((v) => ({ ...v }) as RollupKey), ...others.map((b) => keyOf(tenantId, b))];
          const got = await (batches % 2 ? reader : env.adapters.rollupCache).read(keys);
          expect(got).toHaveLength(keys.length);
          keys.forEach((k, i) => {
            const want = newest.get(id(k));
            expect({ k: id(k), got: got[i] && { version: got[i]!.version, text: got[i]!.text } }).toEqual({
              k: id(k),
              got: want,
            });
            if (want) expect(got[i]!.value).toBe(Number(want.text));
          });
          const pages = await env.adapters.redis.keys(`{${tenantId}}:rollup:*`);
          expect(pages.length).toBeLessThanOrEqual(newest.size);
          for (const p of pages) expect(await env.adapters.redis.pttl(p)).toBeGreaterThan(0);
          if (pages.length > 0) await env.adapters.redis.unlink(...pages);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives a page written again after its deletion a new token, and reads a page without one whole', async () => {
    const tenantId = randomUUID();
    const key: RollupKey = {
      tenantId,
      projectId: 'p1',
      metric: 'count',
      interval: '1m',
      eventType: 'e',
      bucketMs: 1_764_000_000_000,
    };
    const page = rollupCacheKey(key);
    await env.adapters.rollupCache.write([{ ...key, value: 5, version: 7 }]);
    const first = await reader.readWithPages([key]);
    expect(first.pages).not.toBeNull();
    // Redis loses the page (expiry, eviction, an erasure's unlink); the same value is written again.
    await env.adapters.redis.unlink(page);
    expect(await reader.readWithPages([key])).toMatchObject({ cached: [undefined], pages: null });
    await env.adapters.rollupCache.write([{ ...key, value: 5, version: 7 }]);
    const again = await reader.readWithPages([key]);
    expect(again.cached[0]).toEqual({ value: 5, text: '5', version: 7 });
    expect(again.pages).not.toBeNull();
    expect(again.pages).not.toBe(first.pages);
    // A page without a token (as a version before tokens leaves it): the reader reads it whole, never its copy.
    await env.adapters.redis.hset(page, String(key.bucketMs), '8 6');
    await env.adapters.redis.hdel(page, PAGE_TOKEN_FIELD);
    expect(await reader.readWithPages([key])).toMatchObject({
      cached: [{ value: 6, text: '6', version: 8 }],
      pages: null,
    });
    await env.adapters.redis.unlink(page);
  });
});
