import { useTestEnv, eventually } from '../test/harness';
import { hostKafkaFunction } from './consumers';
import { decodeRecords, type MskEvent } from '../core/msk-event';

const { env } = useTestEnv('consumers');

async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = env.adapters.kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

function host(groupId: string, topic: string, handler: (e: MskEvent) => Promise<unknown>) {
  return hostKafkaFunction(env.config.kafka, {
    groupId,
    topic,
    batchSize: 100,
    handler,
    bootstrapServers: env.config.kafka.brokers.join(','),
  });
}

describe('local Kafka function host', () => {
  it('hands batches in the MSK shape, retries a batch whose handler throws, and commits only after success', async () => {
    // Prepare: three records on one partition (same key).
    const topic = env.config.kafka.topics.eventsDlq; // a 1-partition topic of this test run
    await env.adapters.log.send(
      topic,
      ['a', 'b', 'c'].map((v) => ({ key: 'k', value: v })),
    );
    const groupId = `retry_${env.runId}`;
    const deliveries: string[][] = [];
    const offsetsWhileFailing: Record<number, string>[] = [];

    // Act: the handler fails twice, then succeeds.
    const running = await host(groupId, topic, async (event) => {
      expect(event.eventSource).toBe('aws:kafka');
      expect(Object.keys(event.records)).toEqual([`${topic}-0`]);
      deliveries.push(decodeRecords(event).map((r) => r.value ?? ''));
      if (deliveries.length <= 2) {
        offsetsWhileFailing.push(await committedOffsets(groupId, topic));
        throw new Error('simulated failure');
      }
    });
    try {
      await eventually(async () => (deliveries.length >= 3 ? true : undefined));
      const committed = await eventually(async () => {
        const o = await committedOffsets(groupId, topic);
        return o[0] === '3' ? o : undefined;
      });

      // Assess: the same records came again, nothing was committed until the handler succeeded.
      expect(deliveries.slice(0, 3)).toEqual([
        ['a', 'b', 'c'],
        ['a', 'b', 'c'],
        ['a', 'b', 'c'],
      ]);
      expect(offsetsWhileFailing).toEqual([{ 0: '-1' }, { 0: '-1' }]);
      expect(committed).toEqual({ 0: '3' });
    } finally {
      await running.stop();
    }
  });

  it('redelivers uncommitted records to the next consumer of the group after a stop', async () => {
    const topic = env.config.kafka.topics.metricUpdates;
    await env.adapters.log.send(topic, [
      { key: 'same-key', value: 'x1' },
      { key: 'same-key', value: 'x2' },
    ]);
    const groupId = `restart_${env.runId}`;
    let failing = 0;
    const first = await host(groupId, topic, async () => {
      failing++;
      throw new Error('always fails');
    });
    await eventually(async () => (failing >= 1 ? true : undefined));
    await first.stop();

    const seen: string[] = [];
    const second = await host(groupId, topic, async (event) => {
      seen.push(...decodeRecords(event).map((r) => r.value ?? ''));
    });
    try {
      await eventually(async () => (seen.length >= 2 ? true : undefined), 30_000);
      expect(seen).toEqual(['x1', 'x2']);
    } finally {
      await second.stop();
    }
  });
});
