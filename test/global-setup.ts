// Before integration tests: Postgres and Redis must be up; Kafka is started (throwaway, free port) when
// nothing listens on KAFKA_BROKERS, and its address handed to the test workers through the environment.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { parseConfig } from '../adapters/config';
import { ensureKafkaJars, freePort, isListening, startBroker } from '../scripts/kafka/broker';

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2_000 }, () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export default async function globalSetup(): Promise<void> {
  const cfg = parseConfig(process.env);
  const pg = new URL(cfg.database.url);
  if (!(await reachable(pg.hostname, Number(pg.port || 5432)))) {
    throw new Error(`Postgres is not reachable at ${pg.host}; start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`);
  }
  const redis = new URL(cfg.redis.url);
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) {
    throw new Error(`Redis is not reachable at ${redis.host}; start it: redis-server --daemonize yes --port 6379`);
  }
  const [host, port] = cfg.kafka.brokers[0]!.split(':');
  if (await isListening(host!, Number(port))) {
    process.env.KAFKA_BROKERS = cfg.kafka.brokers.join(',');
    return;
  }
  await ensureKafkaJars({ log: (l) => process.stderr.write(`[kafka] ${l}\n`) });
  const dataDir = mkdtempSync(join(tmpdir(), 'cs-test-kafka-'));
  const broker = await startBroker({ host: '127.0.0.1', port: await freePort(), dataDir, logFile: join(dataDir, 'broker.log') });
  process.env.KAFKA_BROKERS = broker.brokers;
  (globalThis as Record<string, unknown>).__csTestKafka = { broker, dataDir };
}
