// Kafka side of the aggregate benchmark: pre-filling events_raw with raw-event records of several tenants, a
// plain kafkajs consumer as the read-rate baseline, the aggregate group's committed progress, and bare
// produce→consume latency on the same broker.
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { encodeRawEvent } from '../../core/raw-event';
import { asRawEvent, sampleEvent } from './events';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quietKafka = (brokers: string, clientId: string) =>
  new Kafka({ clientId, brokers: [brokers], logLevel: logLevel.ERROR });

export interface PrefillTenant {
  id: string;
  projectId: string;
}

/**
 * Writes `count` events_raw records (the encoder ingest uses) round-robin over the tenants, keyed by tenant id:
 * the sample events of events.ts (4 event types, ~90 000 user ids, numeric `amount` and `items`), timestamps
 * over the last `spreadMs`: scattered (default; each batch of a partition then touches buckets all over the span, as
 * a backlog of late events would) or, with `inTimeOrder`, rising with the record's place, as live traffic's are.
 * Returns the average record size.
 */
export async function prefillTopic(o: {
  brokers: string;
  topic: string;
  tenants: PrefillTenant[];
  count: number;
  spreadMs: number;
  inTimeOrder?: boolean;
  runTag: string;
  /** The i-th event (event_type, user_id, session_id, properties); the sample events of events.ts by default. */
  event?: (i: number) => Record<string, unknown>;
}): Promise<{ avgBytes: number; seconds: number }> {
  const eventOf = o.event ?? sampleEvent;
  const producer = quietKafka(o.brokers, 'bench-prefill').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const t0 = performance.now();
  const now = Date.now();
  let bytes = 0;
  try {
    const PER_SEND = 2_000;
    const sends: Promise<unknown>[] = [];
    for (let start = 0; start < o.count; start += PER_SEND) {
      const messages = [];
      for (let i = start; i < Math.min(o.count, start + PER_SEND); i++) {
        const t = o.tenants[i % o.tenants.length]!;
        const e = eventOf(i);
        const place = o.inTimeOrder ? 1 - i / o.count : ((i * 7_919) % 1_000_003) / 1_000_003;
        const ts = now - Math.floor(place * o.spreadMs);
        const value = encodeRawEvent(asRawEvent(e, { tenantId: t.id, projectId: t.projectId }, `${o.runTag}-${i}`, ts));
        bytes += Buffer.byteLength(value);
        messages.push({ key: t.id, value, headers: { request_id: randomUUID() } });
      }
      sends.push(producer.send({ topic: o.topic, acks: -1, messages }));
      if (sends.length >= 4) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
  return { avgBytes: Math.round(bytes / o.count), seconds: (performance.now() - t0) / 1000 };
}

export interface ReadRate {
  /** Records per second from the first batch seen to the last record (the first batch not counted). */
  recordsPerSec: number;
  records: number;
  seconds: number;
}

/** A plain kafkajs consumer (own group, from the beginning, default settings, no processing) reading `count` records. */
export async function plainConsumerRate(o: {
  brokers: string;
  topic: string;
  count: number;
  timeoutMs: number;
}): Promise<ReadRate> {
  const consumer = quietKafka(o.brokers, 'bench-plain-consumer').consumer({
    groupId: `bench-plain-${randomUUID().slice(0, 8)}`,
  });
  await consumer.connect();
  let seen = 0;
  let firstAt = 0;
  let firstCount = 0;
  let doneAt = 0;
  try {
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the plain consumer read ${seen} of ${o.count} records within ${o.timeoutMs} ms`)),
        o.timeoutMs,
      );
      void consumer.run({
        eachBatch: async ({ batch }) => {
          if (firstAt === 0) {
            firstAt = performance.now();
            firstCount = batch.messages.length;
          }
          seen += batch.messages.length;
          if (seen >= o.count && doneAt === 0) {
            doneAt = performance.now();
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await done;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  const seconds = (doneAt - firstAt) / 1000;
  return { recordsPerSec: (seen - firstCount) / seconds, records: seen - firstCount, seconds };
}

/** Sum over partitions of a group's committed offsets on a topic (0 where nothing is committed). */
export async function groupCommitted(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Polls a group's committed offsets every 100 ms until they reach `until` (at most `timeoutMs`): when the first
 * commit past `from` was seen (and its offset sum), and when `until` was. The rate is (until − firstCommitted) /
 * (doneAt − firstAt): the group's join and first batch are not counted.
 */
export async function drainGroup(
  kafka: Kafka,
  o: { group: string; topic: string; from: number; until: number; timeoutMs: number; what: string },
): Promise<{ firstAt: number; firstCommitted: number; doneAt: number; rate: number }> {
  let firstAt = 0;
  let firstCommitted = 0;
  for (const deadline = Date.now() + o.timeoutMs; Date.now() < deadline; await sleep(100)) {
    const c = await groupCommitted(kafka, o.group, o.topic);
    if (c > o.from && firstAt === 0) [firstAt, firstCommitted] = [performance.now(), c];
    if (c >= o.until) {
      const doneAt = performance.now();
      return { firstAt, firstCommitted, doneAt, rate: (o.until - firstCommitted) / ((doneAt - firstAt) / 1000) };
    }
  }
  throw new Error(`${o.what} did not get through the topic within ${Math.round(o.timeoutMs / 1000)} s`);
}

export async function topicEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Bare Kafka latency: an idempotent acks=all kafkajs producer sends one record every `everyMs` for `seconds`,
 * a kafkajs consumer in its own group (maxWaitTimeInMs 100, as the aggregate group) receives them; per record,
 * the time from the producer's ack to the consumer's receipt (clamped at 0: the receipt can come first).
 */
export async function produceConsumeLatency(o: {
  brokers: string;
  topic: string;
  seconds: number;
  everyMs: number;
}): Promise<number[]> {
  const kafka = quietKafka(o.brokers, 'bench-latency');
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: `bench-latency-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 100 });
  const acked = new Map<string, number>();
  const received = new Map<string, number>();
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.set(message.value!.toString(), performance.now());
      },
    });
    // Until the group is joined and fetching, receipts would only measure the join.
    const warm = `warm-${randomUUID()}`;
    await producer.send({ topic: o.topic, acks: -1, messages: [{ key: 'k', value: warm }] });
    for (const deadline = Date.now() + 30_000; !received.has(warm) && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 50));
    const end = performance.now() + o.seconds * 1000;
    for (let k = 0; performance.now() < end; k++) {
      const next = performance.now() + o.everyMs;
      const id = `probe-${k}`;
      await producer.send({ topic: o.topic, acks: -1, messages: [{ key: 'k', value: id }] });
      acked.set(id, performance.now());
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    for (
      const deadline = Date.now() + 10_000;
      [...acked.keys()].some((id) => !received.has(id)) && Date.now() < deadline;
    )
      await new Promise((r) => setTimeout(r, 20));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
  return [...acked].filter(([id]) => received.has(id)).map(([id, at]) => Math.max(0, received.get(id)! - at));
}
