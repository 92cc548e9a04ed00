// The SDK at its default batch limits (sdk/README.md#delivery) against the real service: every batch it builds is
// accepted, since every body within the API's limits fits Kafka (docs/architecture.md#rule-1-ack-means-durable; the
// SDK used to lose events as retries_exhausted when its ~1 MB batches did not), from several tenants at once; every
// tracked event stored once.
import fc from 'fast-check';
import { useTestEnv, eventually, type TestTenant } from '../test/harness';
import { CustomerSignal, type CustomerSignalError } from './src';
import { storedEventIds } from '../test/reads';

const { env, runtime, tenants } = useTestEnv('sdklimits', {
  overrides: { RATE_LIMIT_EVENTS_PER_SECOND: '10000000', RATE_LIMIT_BURST: '10000000', KAFKA_SEND_TIMEOUT: '20s' },
  tenants: 3,
  runtime: true,
});

async function storedIds(tenant: TestTenant, eventType: string): Promise<string[]> {
  return storedEventIds(env.adapters.sql, tenant.id, eventType);
}

let run = 0;
it('delivers full batches of events of generated sizes from several tenants at once, each event stored once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1500 }),
      fc.integer({ min: 0, max: 32_000 }),
      async (count, padBytes) => {
        const eventType = `sdk_size_${++run}`;
        const outcomes = await Promise.all(
          tenants.map(async (tenant) => {
            const errors: CustomerSignalError[] = [];
            const client = new CustomerSignal({
              apiKey: tenant.keys.ingest,
              host: runtime.url,
              project: 'web',
              flushAt: 1000,
              onError: (e) => void errors.push(e),
            });
            const ids = Array.from({ length: count }, (_, i) =>
              client.track(eventType, { i, pad: 'é'.repeat(padBytes >> 1) }),
            );
            await client.shutdown();
            return { tenant, ids, errors, stats: client.stats };
          }),
        );
        for (const o of outcomes) {
          expect(o.errors.map((e) => `${e.name}: ${e.message}`)).toEqual([]);
          expect(o.stats).toMatchObject({ accepted: count, failed: 0, rejected: 0, dropped: 0, retries: 0 });
          const stored = await eventually(
            async () => {
              const ids = await storedIds(o.tenant, eventType);
              return ids.length >= count ? ids : undefined;
            },
            60_000,
            250,
          );
          expect(stored.sort()).toEqual([...o.ids].sort());
        }
      },
    ),
    // The batch that used to fail first: 1000 events of ~750 bytes, a 750 KB batch.
    {
      numRuns: 4,
      examples: [
        [1000, 700],
        [1500, 1_000],
        [40, 32_000],
      ],
    },
  );
});
