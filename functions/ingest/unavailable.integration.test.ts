import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { freePort } from '../../scripts/kafka/broker';

const { env, runtime } = useTestEnv('unavailable', {
  // A port where no broker listens: the log cannot acknowledge anything.
  overrides: async () => ({ KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, KAFKA_SEND_TIMEOUT: '1500ms' }),
  topics: false,
  runtime: { consumers: false },
  beforeCleanup: async (env) => {
    // The abandoned send gives up on its own once its connection retries are spent.
    await eventually(async () => (env.adapters.log.pending() === 0 ? true : undefined), 60_000, 250);
  },
});

it('answers 503 with Retry-After when Kafka does not acknowledge in time', async () => {
  const tenant = await env.createTenant();
  const res = await call(runtime.url, '/v1/events', {
    key: tenant.keys.ingest,
    json: { event_type: 'a', project: 'web', event_id: 'x1' },
  });
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('2');
  expect(res.body.error).toEqual({
    code: 'unavailable',
    message: expect.stringContaining('retry with the same event_ids'),
  });
});
