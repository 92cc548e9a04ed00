// Every body within the documented limits (docs/api.md#limits) fits what Kafka takes, whatever else is sent beside
// it, and ingest survives the broker closing its connections (MSK closes IAM sessions at token expiry); both rules in
// docs/architecture.md#rule-1-ack-means-durable:
// generated sizes at and just under each limit, one tenant sending maximum-size batches while others send small
// ones, all through a proxy that closes the producer's connections. Every request 202, every accepted event in
// the raw store and in the metrics exactly once.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { useTestEnv, eventually, type TestTenant } from '../../test/harness';
import { call } from '../../test/builders';
import { startDroppingProxy, type DroppingProxy } from '../../test/dropping-proxy';
import { createKafka } from '../../adapters/kafka/client';
import { createProducer, type EventLog } from '../../adapters/kafka/producer';
import type { Adapters } from '../../adapters';
import { rollupTotal, storedEventCount, storedEventIds } from '../../test/reads';

let proxy: DroppingProxy;
let log: EventLog;
const {
  env,
  runtime,
  tenants: [big, ...small],
} = useTestEnv('kafkalimits', {
  overrides: {
    RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
    RATE_LIMIT_BURST: '10000000',
    // A generous deadline: this machine is shared; the test is about sizes and closed connections, not speed.
    KAFKA_SEND_TIMEOUT: '20s',
  },
  tenants: 4,
  runtime: true,
  adapters: async (env): Promise<Adapters> => {
    proxy = await startDroppingProxy(env.config.kafka.brokers[0]!);
    // The ingest producer (and the aggregate step's own writes) go through the proxy; the consumer reads directly.
    const kafka = createKafka({
      ...env.config.kafka,
      clientId: `proxied-${env.runId}`,
      socketFactory: proxy.socketFactory,
    });
    log = createProducer(kafka, {
      sendTimeoutMs: env.config.kafka.sendTimeoutMs,
      maxQueuedMessages: env.config.kafka.maxQueuedEvents,
    });
    return { ...env.adapters, log };
  },
  beforeCleanup: async () => {
    await log?.disconnect();
    await proxy?.stop();
  },
});
/** Events answered as accepted, per tenant. */
const accepted = new Map<string, Set<string>>();

const LIMITS = () => ({
  body: env.config.limits.maxBodyBytes,
  events: env.config.limits.maxEventsPerBatch,
  properties: env.config.limits.maxPropertiesBytes,
});
const TEXT = ['é', 'ß', '€', '日本', '😀', '✅', 'a b', '"q"', '\\'];

/**
 * A body of exactly `bytes` bytes holding `count` events, padded through each event's `properties.pad` (ASCII,
 * one byte per character), or undefined if no such body exists within the per-event limits.
 */
function bodyOf(
  count: number,
  bytes: number,
  seedText: string,
  eventType = 'size_probe',
): { body: string; ids: string[] } | undefined {
  const ids = Array.from({ length: count }, () => randomUUID());
  const events = ids.map((event_id) => ({
    event_type: eventType,
    project: 'web',
    event_id,
    properties: { text: seedText, pad: '' },
  }));
  const base = Buffer.byteLength(JSON.stringify({ events }));
  const extra = bytes - base;
  if (extra < 0) return undefined;
  const per = Math.floor(extra / count);
  const propsBase = Buffer.byteLength(JSON.stringify(events[0]!.properties));
  if (propsBase + per + 1 > LIMITS().properties) return undefined;
  events.forEach((e, i) => (e.properties.pad = 'x'.repeat(per + (i < extra % count ? 1 : 0))));
  const body = JSON.stringify({ events });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return { body, ids };
}

async function post(tenant: TestTenant, body: string, gzip = false) {
  return call(runtime.url, '/v1/events', {
    key: tenant.keys.ingest,
    body: gzip ? gzipSync(body) : body,
    headers: { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
  });
}

function record(tenant: TestTenant, ids: string[]) {
  const set = accepted.get(tenant.id) ?? new Set<string>();
  for (const id of ids) set.add(id);
  accepted.set(tenant.id, set);
}

async function expectAcceptedStoredOnce(tenant: TestTenant, ids: string[], body: string, gzip = false) {
  const res = await post(tenant, body, gzip);
  expect({ status: res.status, body: res.status === 202 ? undefined : res.body }).toEqual({
    status: 202,
    body: undefined,
  });
  expect(res.body).toMatchObject({ accepted: ids.length, rejected: 0 });
  record(tenant, ids);
}

describe('bodies at the limits reach Kafka', () => {
  it('accepts generated batches of 1 to 1000 events at and just under the body limit, plain and gzip', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom(0, 1, 2, 1000, 250_000),
        fc.constantFrom(...TEXT),
        fc.boolean(),
        async (count, under, text, gzip) => {
          const b = bodyOf(count, LIMITS().body - under, text);
          fc.pre(b !== undefined); // too few events to fill the body within the per-event limit
          await expectAcceptedStoredOnce(big, b!.ids, b!.body, gzip);
        },
      ),
      {
        numRuns: 8,
        examples: [
          [1000, 0, 'é', false],
          [1000, 1, '😀', true],
          [1000, 1_048_576 - 750_000, 'a b', false],
          [33, 0, '€', false],
        ],
      },
    );
  }, 180_000);

  it('accepts a single event with properties exactly at and just under the per-event limit', async () => {
    for (const size of [LIMITS().properties, LIMITS().properties - 1]) {
      const id = randomUUID();
      const properties = { pad: '' };
      properties.pad = 'y'.repeat(size - Buffer.byteLength(JSON.stringify(properties)));
      expect(Buffer.byteLength(JSON.stringify(properties))).toBe(size);
      await expectAcceptedStoredOnce(
        big,
        [id],
        JSON.stringify({ events: [{ event_type: 'size_probe', project: 'web', event_id: id, properties }] }),
      );
    }
  });

  it('refuses a body one byte over the limit with 413, plain and gzip', async () => {
    const b = bodyOf(1000, LIMITS().body + 1, 'é')!;
    expect((await post(big, b.body)).status).toBe(413);
    expect((await post(big, b.body, true)).status).toBe(413);
  });
});

describe('tenants beside each other', () => {
  it('answers every small request of other tenants while one tenant sends maximum-size batches, through closed connections', async () => {
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 6, maxLength: 24 }),
        async (bigBatches, smallCounts) => {
          // The broker side closes the producer's connections: every session has expired (the next request on a
          // connection closes it), and once the first answer is out, every connection is cut (writes in flight
          // lose their answers). Bounded faults, not a timer: the test does not depend on this machine's speed.
          proxy.expireAll();
          let cut = false;
          const answered = (status: number) => {
            statuses.push(status);
            if (!cut) {
              cut = true;
              proxy.dropAll();
            }
            return status;
          };
          const bigWrites = Array.from({ length: bigBatches }, () => bodyOf(1000, LIMITS().body, '日本')!).map(
            async (b) => {
              const res = await post(big, b.body);
              if (res.status === 202) record(big, b.ids);
              return answered(res.status);
            },
          );
          const smallWrites = smallCounts.map(async (count, i) => {
            const tenant = small[i % small.length]!;
            const b = bodyOf(count, 200 * count + 100, '✅', 'small_probe')!;
            const res = await post(tenant, b.body);
            if (res.status === 202) record(tenant, b.ids);
            return answered(res.status);
          });
          const results = await Promise.all([...bigWrites, ...smallWrites]);
          expect(results.filter((s) => s !== 202)).toEqual([]);
        },
      ),
      { numRuns: 3 },
    );
    expect(proxy.closed()).toBeGreaterThan(0);
    expect(statuses.length).toBeGreaterThan(0);
  }, 180_000);
});

describe('after all of the above', () => {
  it('has every accepted event in the raw store and in the metrics exactly once', async () => {
    for (const [tenantId, ids] of accepted) {
      await eventually(
        async () => ((await storedEventCount(env.adapters.sql, tenantId)) >= ids.size ? true : undefined),
        90_000,
        250,
      );
      const stored = await storedEventIds(env.adapters.sql, tenantId);
      expect({ n: stored.length, distinct: new Set(stored).size }).toEqual({ n: ids.size, distinct: ids.size });
      expect(stored.filter((id) => !ids.has(id))).toEqual([]);
      expect(await rollupTotal(env.adapters.sql, tenantId)).toBe(ids.size);
    }
  }, 180_000);
});
