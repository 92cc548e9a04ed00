import { useTestEnv } from '../../test/harness';
import { startDroppingProxy, type DroppingProxy } from '../../test/dropping-proxy';
import { createKafka } from './client';
import { createProducer, RecordTooLargeError, type EventLog, type OutMessage } from './producer';
import { deleteTopics } from './topics';
import { openOffsetProducer } from './dlq';
import { KAFKA_MAX_MESSAGE_BYTES } from './limits';

const extraTopics: string[] = [];
const { env } = useTestEnv('producer', {
  overrides: { KAFKA_SEND_TIMEOUT: '3s' },
  beforeCleanup: (env) => deleteTopics(env.adapters.kafka, extraTopics).catch(() => undefined),
});

async function createTopic(
  name: string,
  partitions: number,
  configEntries: { name: string; value: string }[] = [],
): Promise<string> {
  const topic = `${name}_${env.runId}`;
  const admin = env.adapters.kafka.admin();
  await admin.connect();
  extraTopics.push(topic);
  try {
    // A broker creating a topic may answer "does not host this topic-partition" for a moment (see topics.ts).
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await admin.listTopics()).includes(topic)) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }],
          });
        }
        await admin.fetchTopicOffsets(topic);
        break;
      } catch (e) {
        if (
          attempt >= 10 ||
          !/does not host this topic-partition|LEADER_NOT_AVAILABLE|NOT_CONTROLLER/i.test(String((e as Error).message))
        )
          throw e;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Messages written to the topic so far (sum of the partitions' high watermarks). */
async function written(topic: string): Promise<number> {
  const admin = env.adapters.kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

const messages = (prefix: string, count: number, valueBytes: number): OutMessage[] =>
  Array.from({ length: count }, (_, i) => ({ key: prefix, value: `${prefix}-${i}-`.padEnd(valueBytes, 'x') }));

describe('producer adapter', () => {
  it('sends a write issued as soon as the previous one resolved at once, not after its deadline', async () => {
    // Prepare: one write to connect the producer.
    const topic = env.config.kafka.topics.eventsDlq;
    await env.adapters.log.send(topic, [{ key: 'k', value: 'connect' }]);

    // Act: back-to-back writes, each issued in the microtask after the last one settled.
    const took: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await env.adapters.log.send(i % 2 === 0 ? topic : env.config.kafka.topics.metricUpdates, [
        { key: 'k', value: `m${i}` },
      ]);
      took.push(Date.now() - started);
    }

    // Assess: none waited for the 3 s deadline (before the fix every second write failed after it).
    expect(Math.max(...took)).toBeLessThan(2_000);
  });

  it('halves merged writes a topic refuses as too large, and fails a single too-large record at once without "unavailable"', async () => {
    // Prepare: a topic that takes record batches of 64 KiB only (as a topic created before the size limits
    // would, with 1 MB); writes of 40 KB each, which fit alone but not merged.
    const topic = await createTopic('small', 1, [{ name: 'max.message.bytes', value: String(64 * 1024) }]);
    const log = createProducer(env.adapters.kafka, { sendTimeoutMs: 20_000, maxQueuedMessages: 100_000 });
    try {
      // Act
      const writes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, w) => log.send(topic, messages(`w${w}`, 20, 2_000))),
      );
      const tooLarge = await log.send(topic, [{ key: 'big', value: 'x'.repeat(100_000) }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      await log.send(topic, [{ key: 'after', value: 'still works' }]);

      // Assess: every write acknowledged, each message written once (one partition: a refused batch wrote
      // nothing), the oversized record refused as such.
      expect(writes.map((w) => w.status)).toEqual(Array(6).fill('fulfilled'));
      expect(tooLarge).toBeInstanceOf(RecordTooLargeError);
      expect(await written(topic)).toBe(6 * 20 + 1);
    } finally {
      await log.disconnect();
    }
  });

  it('splits one write larger than a send across several sends', async () => {
    // Prepare: sends of at most 256 KiB; one write of ~1.2 MB and small writes beside it.
    const topic = await createTopic('split', 3);
    const log = createProducer(env.adapters.kafka, {
      sendTimeoutMs: 20_000,
      maxQueuedMessages: 100_000,
      maxSendBytes: 256 * 1024,
    });
    try {
      // Act
      const results = await Promise.allSettled([
        log.send(topic, messages('big', 1_200, 1_000)),
        ...Array.from({ length: 5 }, (_, i) => log.send(topic, messages(`s${i}`, 3, 100))),
      ]);

      // Assess
      expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
      expect(await written(topic)).toBe(1_200 + 15);
      expect(log.stats().requests).toBeGreaterThanOrEqual(5);
    } finally {
      await log.disconnect();
    }
  });

  it('redrives more dead letters than one send takes, reporting the offset of each record', async () => {
    // Prepare: large records (dead letters of large events) of one tenant adding up to more than the topic's
    // max.message.bytes in one partition (sent as one batch before, refused as MESSAGE_TOO_LARGE).
    const topic = await createTopic('redrive', 2);
    const count = Math.ceil((KAFKA_MAX_MESSAGE_BYTES * 1.2) / 60_000);
    const records = Array.from({ length: count }, (_, i) => ({
      key: Buffer.from('one-tenant'),
      value: Buffer.from(`${i}-`.padEnd(60_000, 'z')),
      headers: { n: String(i) },
    }));
    const producer = await openOffsetProducer(env.adapters.kafka, topic);
    try {
      // Act
      const offsets = await producer.send(records);

      // Assess: every record got a distinct offset, and each partition's offsets are 0..n-1.
      expect(offsets).toHaveLength(count);
      const byPartition = new Map<number, number[]>();
      for (const o of offsets) byPartition.set(o.partition, [...(byPartition.get(o.partition) ?? []), o.offset]);
      for (const list of byPartition.values()) expect([...list].sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
      expect(await written(topic)).toBe(count);
    } finally {
      await producer.close();
    }
  });

  describe('connections the broker closes (MSK IAM session expiry)', () => {
    let proxy: DroppingProxy;
    let log: EventLog;
    beforeAll(async () => {
      proxy = await startDroppingProxy(env.config.kafka.brokers[0]!);
      const kafka = createKafka({
        ...env.config.kafka,
        clientId: `proxied-${env.runId}`,
        socketFactory: proxy.socketFactory,
      });
      log = createProducer(kafka, { sendTimeoutMs: env.config.kafka.sendTimeoutMs, maxQueuedMessages: 100_000 });
    });
    afterAll(async () => {
      await log?.disconnect();
      await proxy?.stop();
    });

    it('acknowledges every write though all connections are closed again and again, idle and in flight', async () => {
      const topic = await createTopic('reauth', 3);
      await log.send(topic, [{ key: 'k', value: 'connect' }]);
      let sent = 1;
      const outcomes: PromiseSettledResult<void>[] = [];
      for (let round = 0; round < 24; round++) {
        // Act: closed before the round (idle connections), on the round's first request (expired session), or
        // while its writes are in flight (their outcome unknown to the producer).
        const mode = round % 3;
        if (mode === 0) proxy.dropAll();
        if (mode === 1) proxy.expireAll();
        const writes = Array.from({ length: 3 }, (_, i) => log.send(topic, messages(`r${round}-${i}`, 5, 200)));
        if (mode === 2) setImmediate(() => proxy.dropAll());
        outcomes.push(...(await Promise.allSettled(writes)));
        sent += 15;
      }

      // Assess: nothing failed; every message is in Kafka (a write retried after an unknown outcome may be
      // there twice: the aggregate step stores and counts an event_id once).
      expect(proxy.closed()).toBeGreaterThan(0);
      expect(
        outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason)),
      ).toEqual([]);
      expect(await written(topic)).toBeGreaterThanOrEqual(sent);
    });
  });
});
