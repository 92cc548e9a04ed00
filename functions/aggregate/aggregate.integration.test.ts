import { useTestEnv } from '../../test/harness';
import { mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from './handler';
import { rollupCacheField, rollupCacheKey } from '../../adapters/redis/rollup-cache';
import { bucketStart } from '../../core/intervals';
import type { Interval } from '../../core/intervals';
import { readRollups } from '../../adapters/postgres/aggregate-store';
import { storedEventCount, storedEvents } from '../../test/reads';

const { env, tenant } = useTestEnv('aggregate', { tenants: 1 });

async function storedCount(eventType: string): Promise<number> {
  return storedEventCount(env.adapters.sql, tenant.id, eventType);
}

async function rollup(eventType: string, interval: Interval, bucketMs: number) {
  const key = {
    tenantId: tenant.id,
    projectId: tenant.project.id,
    eventType,
    metric: 'count' as const,
    interval,
    bucketMs,
  };
  const [row] = await readRollups(env.adapters.sql, [key]);
  return row ? { value: row.value, version: row.version } : undefined;
}

/** A bucket's entry in its Redis page, as stored: `<version> <value>` (adapters/redis/rollup-cache.ts). */
function cacheEntry(eventType: string, interval: '1m' | '10s', bucketMs: number) {
  const key = {
    tenantId: tenant.id,
    projectId: tenant.project.id,
    eventType,
    metric: 'count' as const,
    interval,
    bucketMs,
  };
  return env.adapters.redis.hget(rollupCacheKey(key), rollupCacheField(key));
}

describe('aggregate handler', () => {
  it('counts the same MSK batch once however often it is delivered, first copy winning', async () => {
    // Prepare: three events, the third a later copy of the first with other properties.
    const topic = env.config.kafka.topics.eventsRaw;
    const ts = Date.now();
    const a = rawEvent(tenant, { eventType: 'dup_check', timestampMs: ts, properties: { copy: 'first' } });
    const b = rawEvent(tenant, { eventType: 'dup_check', timestampMs: ts });
    const aAgain = { ...a, properties: { copy: 'second' } };
    const batch = mskBatch(topic, [a, b, aAgain]);
    const handler = createAggregateHandler(env.adapters);

    // Act
    const minute = bucketStart(ts, '1m');
    const first = await handler(batch);
    const afterFirst = await rollup('dup_check', '1m', minute);
    const second = await handler(batch);

    // Assess: the redelivery changed nothing, not even the version.
    expect(first).toMatchObject({ records: 3, stored: 2, duplicates: 1 });
    expect(second).toMatchObject({ records: 3, stored: 0, duplicates: 3 });
    expect(await storedCount('dup_check')).toBe(2);
    expect(afterFirst).toMatchObject({ value: 2 });
    expect(await rollup('dup_check', '1m', minute)).toEqual(afterFirst);
    expect(await rollup('dup_check', '1d', bucketStart(ts, '1d'))).toMatchObject({ value: 2 });
    expect(await cacheEntry('dup_check', '1m', minute)).toBe(`${afterFirst!.version} 2`);
    const [kept] = await storedEvents(env.adapters.sql, tenant.id, { eventIds: [a.eventId] });
    expect(kept!.properties).toEqual({ copy: 'first' });
  });

  it('repairs Redis on redelivery even when no event is new', async () => {
    const ts = Date.now();
    const batch = mskBatch(env.config.kafka.topics.eventsRaw, [
      rawEvent(tenant, { eventType: 'repair', timestampMs: ts }),
    ]);
    const handler = createAggregateHandler(env.adapters);
    await handler(batch);
    const key = {
      tenantId: tenant.id,
      projectId: tenant.project.id,
      eventType: 'repair',
      metric: 'count' as const,
      interval: '1m' as const,
      bucketMs: bucketStart(ts, '1m'),
    };
    await env.adapters.redis.hdel(rollupCacheKey(key), rollupCacheField(key));

    await handler(batch);

    const stored = await rollup('repair', '1m', bucketStart(ts, '1m'));
    expect(await cacheEntry('repair', '1m', bucketStart(ts, '1m'))).toBe(`${stored!.version} 1`);
  });

  it('never lets an older version overwrite a newer one in Redis', async () => {
    const ts = Date.now();
    const handler = createAggregateHandler(env.adapters);
    await handler(
      mskBatch(env.config.kafka.topics.eventsRaw, [rawEvent(tenant, { eventType: 'versions', timestampMs: ts })]),
    );
    const older = await rollup('versions', '1m', bucketStart(ts, '1m'));
    await handler(
      mskBatch(env.config.kafka.topics.eventsRaw, [rawEvent(tenant, { eventType: 'versions', timestampMs: ts })]),
    );
    const newer = await rollup('versions', '1m', bucketStart(ts, '1m'));
    const key = {
      tenantId: tenant.id,
      projectId: tenant.project.id,
      eventType: 'versions',
      metric: 'count' as const,
      interval: '1m' as const,
      bucketMs: bucketStart(ts, '1m'),
    };

    await env.adapters.rollupCache.write([{ ...key, value: 1, version: older!.version }]);

    expect(newer!.version).toBeGreaterThan(older!.version);
    expect(await cacheEntry('versions', '1m', key.bucketMs)).toBe(`${newer!.version} 2`);
  });

  it('sums numeric properties with any name, those of Object.prototype and __proto__ included', async () => {
    const ts = bucketStart(Date.now(), '10s') + 1_000;
    // Parsed from JSON, as the handler gets them: every name is an own key, `__proto__` too.
    const first = JSON.parse('{"__proto__": 2, "toString": 3, "constructor": 4, "valueOf": 5, "hasOwnProperty": 6}');
    const second = JSON.parse('{"__proto__": 10, "toString": 0.5, "plain": 1}');
    const batch = mskBatch(env.config.kafka.topics.eventsRaw, [
      rawEvent(tenant, { eventType: 'proto_names', timestampMs: ts, properties: first }),
      rawEvent(tenant, { eventType: 'proto_names', timestampMs: ts, properties: second }),
    ]);
    expect(await createAggregateHandler(env.adapters)(batch)).toMatchObject({ records: 2, stored: 2 });
    const sumOf = async (metric: string) => {
      const [row] = await readRollups(env.adapters.sql, [
        {
          tenantId: tenant.id,
          projectId: tenant.project.id,
          eventType: 'proto_names',
          metric: metric as `sum:${string}`,
          interval: '1m',
          bucketMs: bucketStart(ts, '1m'),
        },
      ]);
      return row?.value;
    };
    expect({
      proto: await sumOf('sum:__proto__'),
      protoN: await sumOf('n:__proto__'),
      toString: await sumOf('sum:toString'),
      constructor: await sumOf('sum:constructor'),
      valueOf: await sumOf('sum:valueOf'),
      hasOwnProperty: await sumOf('sum:hasOwnProperty'),
      plain: await sumOf('sum:plain'),
    }).toEqual({ proto: 12, protoN: 2, toString: 3.5, constructor: 4, valueOf: 5, hasOwnProperty: 6, plain: 1 });
  });

  it('late events update their past buckets; events beyond retention are dropped', async () => {
    const handler = createAggregateHandler(env.adapters);
    const lateTs = Date.now() - 3 * 86_400_000;
    const expiredTs = Date.now() - env.config.limits.retentionMs - 60_000;
    const outcome = await handler(
      mskBatch(env.config.kafka.topics.eventsRaw, [
        rawEvent(tenant, { eventType: 'late', timestampMs: lateTs }),
        rawEvent(tenant, { eventType: 'late', timestampMs: expiredTs }),
      ]),
    );
    expect(outcome).toMatchObject({ stored: 1, expired: 1 });
    expect(await rollup('late', '1h', bucketStart(lateTs, '1h'))).toMatchObject({ value: 1 });
    expect(await rollup('late', '1h', bucketStart(expiredTs, '1h'))).toBeUndefined();
  });

  it('dead-letters a record that cannot be parsed and stores the rest of the batch', async () => {
    const topic = env.config.kafka.topics.eventsRaw;
    const good = rawEvent(tenant, { eventType: 'with_poison' });
    const outcome = await createAggregateHandler(env.adapters)(mskBatch(topic, ['{not json', good]));
    expect(outcome).toMatchObject({ deadLettered: 1, stored: 1 });
    const admin = env.adapters.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(env.config.kafka.topics.eventsDlq);
    await admin.disconnect();
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(1);
  });
});
