// Stops and restarts its own Kafka broker (a throwaway one on a free port), never the shared one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { ensureKafkaJars, freePort, startBroker, type RunningBroker } from '../../scripts/kafka/broker';

let broker: RunningBroker;
let port: number;
const dataDir = mkdtempSync(join(tmpdir(), 'cs-outage-kafka-'));

async function startOwnBroker(): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port, dataDir, logFile: join(dataDir, 'broker.log'), heapMb: 384 });
}

beforeAll(async () => {
  await ensureKafkaJars();
  port = await freePort();
  broker = await startOwnBroker();
});
const { env, runtime, tenant } = useTestEnv('outage', {
  overrides: () => ({ KAFKA_BROKERS: broker.brokers, KAFKA_SEND_TIMEOUT: '2s', KAFKA_MAX_QUEUED_EVENTS: '2000' }),
  tenants: 1,
  runtime: { consumers: false },
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const send = (i: number) =>
  call(runtime.url, '/v1/events', {
    key: tenant.keys.ingest,
    json: { event_type: 'outage', project: 'web', event_id: `o-${i}` },
  });

it('merges concurrent single-event requests into few Kafka requests', async () => {
  const before = env.adapters.log.stats();
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i)));
  expect(results.every((r) => r.status === 202)).toBe(true);
  const after = env.adapters.log.stats();
  expect(after.acknowledged - before.acknowledged).toBe(200);
  expect(after.requests - before.requests).toBeLessThan(200);
});

it('fails fast with 503 while the broker is down, keeps the queue bounded, and recovers by itself', async () => {
  expect((await send(1000)).status).toBe(202);
  await broker.stop();

  // While it is down: every request is answered (503 + Retry-After), none waits for the client's timeout.
  const during = await Promise.all(Array.from({ length: 50 }, (_, i) => send(2000 + i)));
  expect(new Set(during.map((r) => r.status))).toEqual(new Set([503]));
  expect(during.every((r) => r.headers.get('retry-after') === '2')).toBe(true);
  expect(env.adapters.log.pending()).toBeLessThanOrEqual(2000);

  broker = await startOwnBroker();
  await eventually(async () => ((await send(3000)).status === 202 ? true : undefined), 60_000, 500);
  const after = await Promise.all(Array.from({ length: 20 }, (_, i) => send(4000 + i)));
  expect(after.every((r) => r.status === 202)).toBe(true);
});
