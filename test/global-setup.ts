// Before integration tests: Postgres and Redis must be up; Kafka is started (throwaway, free port) when
// nothing listens on KAFKA_BROKERS, and its address handed to the test workers through the environment.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../adapters/config';
import { assertPostgresAndRedis } from '../scripts/service-checks';
import { ensureKafkaJars, freePort, isListening, startBroker } from '../scripts/kafka/broker';

export default async function globalSetup(): Promise<void> {
  const cfg = parseConfig(process.env);
  await assertPostgresAndRedis(cfg);
  const [host, port] = cfg.kafka.brokers[0]!.split(':');
  if (await isListening(host!, Number(port))) {
    process.env.KAFKA_BROKERS = cfg.kafka.brokers.join(',');
    return;
  }
  await ensureKafkaJars({ log: (l) => process.stderr.write(`[kafka] ${l}\n`) });
  const dataDir = mkdtempSync(join(tmpdir(), 'cs-test-kafka-'));
  const broker = await startBroker({
    host: '127.0.0.1',
    port: await freePort(),
    dataDir,
    logFile: join(dataDir, 'broker.log'),
  });
  process.env.KAFKA_BROKERS = broker.brokers;
  (globalThis as Record<string, unknown>).__csTestKafka = { broker, dataDir };
}
