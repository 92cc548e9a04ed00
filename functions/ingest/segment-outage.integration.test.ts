// A broker outage shorter than the Segment SDK's retry budget loses nothing. Stops and restarts its own Kafka broker
// (a throwaway one on a free port), never the shared one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { startLocalRuntime } from '../../local/runtime';
import { ensureKafkaJars, freePort, startBroker, type RunningBroker } from '../../scripts/kafka/broker';

let broker: RunningBroker;
let port: number;
const dataDir = mkdtempSync(join(tmpdir(), 'cs-segment-outage-kafka-'));

const startOwnBroker = () =>
  startBroker({ host: '127.0.0.1', port, dataDir, logFile: join(dataDir, 'broker.log'), heapMb: 384 });

beforeAll(async () => {
  await ensureKafkaJars();
  port = await freePort();
  broker = await startOwnBroker();
});
const {
  env,
  runtime: http,
  tenant,
} = useTestEnv('segoutage', {
  overrides: () => ({ KAFKA_BROKERS: broker.brokers, KAFKA_SEND_TIMEOUT: '1s' }),
  tenants: 1,
  runtime: { consumers: false },
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('makes the SDK retry through a broker outage, and nothing is lost once the broker is back', async () => {
  const writeKey = await env.createKey(tenant, ['ingest'], tenant.project.id);
  // maxRetries 8: the backoff (0.5 s × 2^n × 1..2, at most 60 s) then spans at least 183 s, far more than this outage.
  const analytics = new Analytics({ writeKey, host: http.url, flushInterval: 50, maxRetries: 8 });
  const statuses: number[] = [];
  const failures: unknown[] = [];
  analytics.on('http_response', (r) => statuses.push(r.status));
  analytics.on('error', (e) => failures.push(e));

  await broker.stop();
  for (let i = 0; i < 40; i++) analytics.track({ userId: `o-${i % 4}`, event: 'Survived Outage', properties: { i } });
  // The SDK has been refused (503, outcome unknown) at least once before the broker comes back.
  await eventually(async () => (statuses.includes(503) ? true : undefined), 30_000, 100);
  broker = await startOwnBroker();
  await analytics.closeAndFlush({ timeout: 170_000 });

  expect(failures).toEqual([]);
  expect(new Set(statuses)).toEqual(new Set([503, 200]));

  // Aggregate what Kafka holds: every event once, whatever number of attempts delivered it.
  const consumers = await startLocalRuntime(env.adapters, {
    http: false,
    web: false,
    scheduler: false,
    consumers: true,
  });
  try {
    const q = new URLSearchParams({
      event_type: 'Survived Outage',
      interval: '1h',
      from: new Date(Date.now() - 3_600_000).toISOString(),
    });
    await eventually(
      async () => {
        const res = await call(http.url, `/v1/metrics?${q}`, { key: tenant.keys.read });
        const total = (res.body.points as { value: number }[]).reduce((n, p) => n + p.value, 0);
        return total === 40 ? true : undefined;
      },
      60_000,
      250,
    );
    const listed = await call(http.url, '/v1/events?event_type=Survived%20Outage&limit=100', { key: tenant.keys.read });
    expect(new Set(listed.body.events.map((e: { properties: { i: number } }) => e.properties.i)).size).toBe(40);
  } finally {
    await consumers.stop();
  }
}, 300_000);
