// The Redis key of a rollup value (docs/architecture.md#time-zones): 1h/1d keys carry the tenant's zone generation
// once it changed zone, so values bucketed in an earlier zone are never read again; everything else is unchanged.
import { rollupCacheKey } from './rollup-cache';
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
  it('is the same as before for generation 0 and for epoch-aligned intervals', () => {
    expect(rollupCacheKey(key({}))).toBe('{t1}:rollup:p1:sum%3Aa%20b:1h:3600000:sign%20up');
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
      '{t1}:rollup:p1:sum%3Aa%20b:1d~g3:3600000:sign%20up',
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
