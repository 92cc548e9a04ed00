// The Redis key of a rollup value: the page (a hash of 60 buckets' span) that holds it, its field the bucket start;
// 1h/1d keys carry the tenant's zone generation once it changed zone (docs/architecture.md#time-zones), so values
// bucketed in an earlier zone are never read again.
import fc from 'fast-check';
import { PAGE_BUCKETS, pageStartMs, rollupCacheField, rollupCacheKey } from './rollup-cache';
import { INTERVAL_MS, INTERVALS } from '../../core/intervals';
import { withZoneGenerations, type RollupKey } from '../../core/rollups';

const key = (over: Partial<RollupKey>): RollupKey => ({
  tenantId: 't1',
  projectId: 'p1',
  eventType: 'sign up',
  metric: 'sum:a b',
  interval: '1h',
  bucketMs: 3_600_000,
  ...over,
});

describe('rollupCacheKey', () => {
  it('names the page: generation 0 and epoch-aligned intervals are unchanged by a generation', () => {
    expect(rollupCacheKey(key({}))).toBe('{t1}:rollup:p1:sum%3Aa%20b:1h:0:sign%20up');
    expect(rollupCacheField(key({}))).toBe('3600000');
    expect(rollupCacheKey(key({ zoneGeneration: 0 }))).toBe(rollupCacheKey(key({})));
    for (const interval of ['10s', '1m', '5m'] as const)
      expect(rollupCacheKey(key({ interval, zoneGeneration: 4 }))).toBe(rollupCacheKey(key({ interval })));
  });

  it('names the generation for 1h and 1d: every zone change, back and forth, gets keys of its own', () => {
    const seen = new Set<string>();
    for (const interval of ['1h', '1d'] as const)
      for (let g = 0; g < 5; g++) seen.add(rollupCacheKey(key({ interval, zoneGeneration: g })));
    expect(seen.size).toBe(10);
    expect(rollupCacheKey(key({ interval: '1d', zoneGeneration: 3 }))).toBe(
      '{t1}:rollup:p1:sum%3Aa%20b:1d~g3:0:sign%20up',
    );
  });

  it('puts every bucket, aligned or local (+05:45, DST), in the one page whose span holds it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INTERVALS),
        fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 }),
        (interval, ms) => {
          const span = INTERVAL_MS[interval] * PAGE_BUCKETS;
          const page = pageStartMs(interval, ms);
          expect(Math.abs(page % span)).toBe(0);
          expect(page <= ms && ms < page + span).toBe(true);
          // Same page ⇔ same key (the rest of the key fixed); the field tells the buckets of a page apart.
          const k = key({ interval, bucketMs: ms });
          expect(rollupCacheKey(k)).toBe(rollupCacheKey(key({ interval, bucketMs: page })));
          expect(rollupCacheKey(k) === rollupCacheKey(key({ interval, bucketMs: page + span }))).toBe(false);
          expect(rollupCacheField(k)).toBe(String(ms));
        },
      ),
    );
  });

  it('withZoneGenerations stamps each value with its own tenant\u2019s generation', () => {
    const zones = new Map([
      ['t1', { generation: 2 }],
      ['t2', { generation: 0 }],
    ]);
    const [a, b, c] = withZoneGenerations([key({}), key({ tenantId: 't2' }), key({ tenantId: 't3' })], zones);
    expect([a!.zoneGeneration, b!.zoneGeneration, c!.zoneGeneration]).toEqual([2, undefined, undefined]);
  });
});
