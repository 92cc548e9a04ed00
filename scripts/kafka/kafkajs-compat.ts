/**
 * Proof that kafkajs (2.2.4) works with the Kafka version pinned in scripts/kafka/pom.xml.
 *
 *   npx tsx scripts/kafka/kafkajs-compat.ts
 *
 * Starts a throwaway broker on free ports in a temp dir, exercises every kafkajs
 * feature CustomerSignal uses (with assertions), prints PASS/FAIL per feature,
 * stops the broker and removes the temp dir. Exit code 1 if anything failed.
 *
 * Set KAFKA_COMPAT_BROKERS=host:port to run the checks against an already running broker instead.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type LogEntry } from 'kafkajs';
import { KAFKA_VERSION, freePort, startBroker } from './broker';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(50);
  }
}

interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}
const results: Result[] = [];

async function feature(name: string, fn: () => Promise<void>, timeoutMs = 30_000): Promise<boolean> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    results.push({ name, ok: true, ms: Date.now() - t0 });
    console.log(`PASS  ${name}  (${Date.now() - t0}ms)`);
    return true;
  } catch (err) {
    clearTimeout(timer);
    const error = err instanceof Error ? err.message : String(err);
    results.push({ name, ok: false, ms: Date.now() - t0, error });
    console.log(`FAIL  ${name}  (${Date.now() - t0}ms): ${error}`);
    return false;
  }
}

// kafkajs WARN/ERROR log lines, reported at the end (they are the "surprises").
const kafkajsLogs: string[] = [];
const logCreator = () => (entry: LogEntry) => {
  const { message, ...extra } = entry.log;
  const level = ['NOTHING', 'ERROR', 'WARN', 'INFO', 'DEBUG'][entry.level] ?? String(entry.level);
  const line = `${level} [${entry.namespace}] ${message} ${JSON.stringify(extra)}`;
  if (entry.level <= logLevel.WARN) kafkajsLogs.push(line);
  if (process.env.KAFKAJS_DEBUG) console.log(line);
};

const PARTITIONS = 3;
const PER_PARTITION_BATCH = 10; // messages per partition per batch; two batches
const TOTAL = PARTITIONS * PER_PARTITION_BATCH * 2;

let keyedPartition = -1; // partition of the one message the DefaultPartitioner placed

type Seen = Map<number, number[]>; // partition -> offsets
const seenCount = (s: Seen) => [...s.values()].reduce((n, o) => n + o.length, 0);
const record = (s: Seen, partition: number, offset: string) => {
  const list = s.get(partition) ?? [];
  list.push(Number(offset));
  s.set(partition, list);
};

async function checks(brokers: string): Promise<void> {
  const suffix = `${Date.now()}`;
  const topic = `compat-${suffix}`;
  const group = `compat-group-${suffix}`;
  const group2 = `compat-group2-${suffix}`;

  const kafka = new Kafka({
    clientId: 'kafkajs-compat',
    brokers: [brokers],
    logLevel: logLevel.WARN,
    logCreator,
    retry: { initialRetryTime: 100, retries: 8 },
  });
  const admin: Admin = kafka.admin();
  const consumers: Consumer[] = [];
  const newConsumer = (groupId: string): Consumer => {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 200,
      retry: { initialRetryTime: 100, retries: 8 },
    });
    consumers.push(c);
    return c;
  };
  // Idempotent producers want unlimited retries: kafkajs warns "Limiting retries for the idempotent
  // producer may invalidate EoS guarantees" if the client-level retry.retries leaks into them.
  const newProducer = () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, retries: Number.MAX_SAFE_INTEGER },
    });
  const producer = newProducer();
  const producer2 = newProducer();

  const baseTs = Date.now() - 600_000; // batch 1 at baseTs, batch 2 at baseTs + 60 s
  const committedByC1 = new Map<number, number>([
    [0, 5],
    [1, 10],
  ]); // partition 2: nothing committed

  try {
    await feature('admin connect + describeCluster', async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      assert.equal(cluster.brokers.length, 1);
      assert.ok(cluster.clusterId);
    });

    await feature(`admin.createTopics (numPartitions=${PARTITIONS})`, async () => {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      assert.equal(created, true, 'createTopics should return true for a new topic');
      const again = await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
      assert.equal(again, false, 'createTopics should return false for an existing topic');
    });

    await feature('admin.listTopics', async () => {
      const topics = await admin.listTopics();
      assert.ok(topics.includes(topic), `listTopics missing ${topic}: ${topics.join(',')}`);
    });

    await feature('admin.fetchTopicMetadata', async () => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const t = md.topics.find((x) => x.name === topic);
      assert.ok(t, 'topic not in metadata');
      assert.equal(t.partitions.length, PARTITIONS);
      for (const p of t.partitions) {
        assert.equal(p.leader, 1);
        assert.deepEqual(p.replicas, [1]);
      }
    });

    await feature('producer idempotent, acks=-1 (send + sendBatch)', async () => {
      await producer.connect();
      // batch 1 via send()
      const msgs1 = [];
      for (let i = 0; i < PARTITIONS * PER_PARTITION_BATCH; i++) {
        msgs1.push({ key: `k${i}`, value: `v1-${i}`, partition: i % PARTITIONS, timestamp: String(baseTs + i) });
      }
      const meta1 = await producer.send({ topic, acks: -1, messages: msgs1 });
      assert.equal(meta1.length, PARTITIONS);
      for (const m of meta1) assert.equal(m.errorCode, 0);
      // batch 2 via sendBatch(), later timestamps
      const msgs2 = [];
      for (let i = 0; i < PARTITIONS * PER_PARTITION_BATCH; i++) {
        msgs2.push({
          key: `k${i}`,
          value: `v2-${i}`,
          partition: i % PARTITIONS,
          timestamp: String(baseTs + 60_000 + i),
        });
      }
      const meta2 = await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: msgs2 }] });
      for (const m of meta2) {
        assert.equal(m.errorCode, 0);
        assert.equal(m.baseOffset, String(PER_PARTITION_BATCH));
      }
      // keyed, partitioner-chosen message (DefaultPartitioner) must also work
      const meta3 = await producer.send({ topic: topic, acks: -1, messages: [{ key: 'keyed', value: 'x' }] });
      assert.equal(meta3[0]?.errorCode, 0);
      // ... but keep per-partition counts predictable for later checks: it lands in one partition
      keyedPartition = meta3[0]?.partition ?? -1;
      assert.ok(keyedPartition >= 0 && keyedPartition < PARTITIONS);
    });

    const expectedHigh = (p: number) => PER_PARTITION_BATCH * 2 + (p === keyedPartition ? 1 : 0);

    await feature('admin.fetchTopicOffsets', async () => {
      const offs = await admin.fetchTopicOffsets(topic);
      assert.equal(offs.length, PARTITIONS);
      for (const o of offs) {
        assert.equal(o.low, '0');
        assert.equal(o.high, String(expectedHigh(o.partition)), `partition ${o.partition} high`);
      }
    });

    await feature('admin.fetchTopicOffsetsByTimestamp', async () => {
      const mid = await admin.fetchTopicOffsetsByTimestamp(topic, baseTs + 30_000);
      assert.equal(mid.length, PARTITIONS);
      for (const o of mid) assert.equal(o.offset, String(PER_PARTITION_BATCH), `partition ${o.partition} @mid`);
      const early = await admin.fetchTopicOffsetsByTimestamp(topic, baseTs - 1000);
      for (const o of early) assert.equal(o.offset, '0', `partition ${o.partition} @early`);
      const future = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 3_600_000);
      for (const o of future)
        assert.equal(o.offset, String(expectedHigh(o.partition)), `partition ${o.partition} @future`);
    });

    // --- consumer group: eachBatch, autoCommit false, manual commitOffsets -----------------
    const c1Seen: Seen = new Map();
    const c1 = newConsumer(group);
    await feature('consumer subscribe + eachBatch (autoCommit=false) + manual commitOffsets', async () => {
      await c1.connect();
      await c1.subscribe({ topics: [topic], fromBeginning: true });
      await c1.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          for (const m of batch.messages) record(c1Seen, batch.partition, m.offset);
          // "process" the batch, then commit what was processed, but only up to a per-partition
          // limit (simulates a consumer that dies before committing the rest)
          const limit = committedByC1.get(batch.partition);
          if (limit !== undefined && Number(batch.firstOffset()) < limit) {
            const upTo = Math.min(limit, Number(batch.lastOffset()) + 1);
            await c1.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(upTo) }]);
          }
          await heartbeat();
        },
      });
      await waitFor(`c1 to see ${TOTAL + 1} messages`, () => seenCount(c1Seen) >= TOTAL + 1);
      for (let p = 0; p < PARTITIONS; p++) {
        const offs = c1Seen.get(p) ?? [];
        assert.deepEqual(offs, [...Array(expectedHigh(p)).keys()], `c1 partition ${p} offsets in order, once`);
      }
    });

    await feature('admin.describeGroups (Stable, 1 member)', async () => {
      await waitFor('group Stable', async () => {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable';
      });
      const { groups } = await admin.describeGroups([group]);
      const g = groups[0];
      assert.ok(g);
      assert.equal(g.protocolType, 'consumer');
      assert.equal(g.members.length, 1);
      assert.ok(g.members[0]?.memberAssignment.length, 'member assignment present');
    });

    await feature('admin.fetchOffsets (group)', async () => {
      const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const t = res.find((x) => x.topic === topic);
      assert.ok(t);
      const byP = new Map(t.partitions.map((p) => [p.partition, p.offset]));
      assert.equal(byP.get(0), '5');
      assert.equal(byP.get(1), '10');
      assert.equal(byP.get(2), '-1');
    });

    await feature('admin.listGroups', async () => {
      const { groups } = await admin.listGroups();
      assert.ok(
        groups.some((g) => g.groupId === group),
        'group listed',
      );
    });

    await feature('consumer disconnect -> new consumer of same group gets uncommitted messages', async () => {
      await c1.disconnect();
      await waitFor('group Empty', async () => (await admin.describeGroups([group])).groups[0]?.state === 'Empty');
      const c2Seen: Seen = new Map();
      const c2 = newConsumer(group);
      await c2.connect();
      await c2.subscribe({ topics: [topic], fromBeginning: true });
      await c2.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) record(c2Seen, batch.partition, m.offset);
          await c2.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
          ]);
        },
      });
      const expected = (p: number) => {
        const from = committedByC1.get(p) ?? 0;
        return [...Array(expectedHigh(p) - from).keys()].map((i) => i + from);
      };
      const want = [0, 1, 2].reduce((n, p) => n + expected(p).length, 0);
      await waitFor(`c2 to see ${want} redelivered messages`, () => seenCount(c2Seen) >= want);
      await sleep(500); // nothing extra should arrive
      for (let p = 0; p < PARTITIONS; p++) {
        assert.deepEqual(c2Seen.get(p) ?? [], expected(p), `c2 partition ${p} starts at committed offset`);
      }
      await waitFor('c2 commits visible', async () => {
        const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        return (res[0]?.partitions ?? []).every((p) => p.offset === String(expectedHigh(p.partition)));
      });
      await c2.disconnect();
    });

    await feature('rebalance: member leaves, remaining member takes over its uncommitted partitions', async () => {
      const assignments = new Map<string, number[]>();
      const seen = new Map<string, Seen>();
      const start = async (name: string) => {
        const c = newConsumer(group2);
        const s: Seen = new Map();
        seen.set(name, s);
        c.on(c.events.GROUP_JOIN, (e) => {
          assignments.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort());
          s.clear(); // track what is (re)delivered after the latest join
        });
        await c.connect();
        await c.subscribe({ topics: [topic], fromBeginning: true });
        await c.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) record(s, batch.partition, m.offset);
          },
        });
        return c;
      };
      const a = await start('a');
      await waitFor('a to own all partitions', () => assignments.get('a')?.length === PARTITIONS);
      const b = await start('b');
      await waitFor('a and b to split the partitions', () => {
        const pa = assignments.get('a') ?? [];
        const pb = assignments.get('b') ?? [];
        return (
          pa.length > 0 && pb.length > 0 && pa.length + pb.length === PARTITIONS && pa.every((p) => !pb.includes(p))
        );
      });
      const bParts = assignments.get('b') ?? [];
      await waitFor('b to consume its partitions', () =>
        bParts.every((p) => (seen.get('b')?.get(p)?.length ?? 0) >= expectedHigh(p)),
      );
      await b.disconnect(); // nothing committed by b
      await waitFor('a to be reassigned all partitions', () => assignments.get('a')?.length === PARTITIONS);
      await waitFor("a to receive b's uncommitted messages", () =>
        bParts.every((p) => (seen.get('a')?.get(p)?.length ?? 0) >= expectedHigh(p)),
      );
      for (const p of bParts) {
        const offs = [...new Set(seen.get('a')?.get(p) ?? [])].sort((x, y) => x - y);
        assert.deepEqual(offs, [...Array(expectedHigh(p)).keys()], `a got partition ${p} from offset 0`);
      }
      const { groups } = await admin.describeGroups([group2]);
      assert.equal(groups[0]?.members.length, 1);
      await a.disconnect();
    });

    await feature('admin.createPartitions (3 -> 4)', async () => {
      await admin.createPartitions({ topicPartitions: [{ topic, count: PARTITIONS + 1 }] });
      await waitFor('metadata to show 4 partitions', async () => {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        return md.topics[0]?.partitions.length === PARTITIONS + 1;
      });
      // (a producer that already cached the topic's metadata only sees the new partition after
      // metadataMaxAge, so use a fresh one)
      await producer2.connect();
      const meta = await producer2.send({ topic, acks: -1, messages: [{ value: 'p3', partition: PARTITIONS }] });
      assert.equal(meta[0]?.partition, PARTITIONS);
      const offs = await admin.fetchTopicOffsets(topic);
      assert.equal(offs.find((o) => o.partition === PARTITIONS)?.high, '1');
    });

    await feature('admin.deleteTopics', async () => {
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
      await waitFor('topic gone from listTopics', async () => !(await admin.listTopics()).includes(topic), 10_000);
    });
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await producer2.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const external = process.env.KAFKA_COMPAT_BROKERS;
  let stop: () => Promise<void> = async () => undefined;
  let tmp: string | undefined;
  let brokers: string;
  let brokerPid: number | undefined;
  try {
    if (external) {
      brokers = external;
      console.log(`kafkajs-compat against existing broker ${brokers}`);
    } else {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkajs-compat-'));
      const heapRaw = process.env.KAFKA_HEAP_MB;
      const broker = await startBroker({
        port: await freePort(),
        dataDir: tmp,
        heapMb: heapRaw ? Number.parseInt(heapRaw, 10) : undefined,
        log: (l) => console.log(`  ${l}`),
      });
      brokers = broker.brokers;
      stop = broker.stop;
      brokerPid = broker.pid;
    }
    await checks(brokers);
    if (brokerPid) {
      try {
        const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${brokerPid}/status`, 'utf8'))?.[1];
        if (rss) console.log(`\nbroker RSS after the checks: ${Math.round(Number(rss) / 1024)} MB`);
      } catch {
        /* not Linux */
      }
    }
  } catch (err) {
    results.push({ name: 'setup', ok: false, ms: 0, error: err instanceof Error ? err.message : String(err) });
    console.log(`FAIL  setup: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await stop();
    if (tmp) {
      const brokerLog = path.join(tmp, 'broker.log');
      const lines = fs.existsSync(brokerLog) ? fs.readFileSync(brokerLog, 'utf8').split('\n') : [];
      const noisy = lines.filter((l) => /\] (WARN|ERROR) /.test(l) && !/Performing controller activation/.test(l));
      if (noisy.length) {
        console.log(`\nbroker log WARN/ERROR lines (${noisy.length}):`);
        for (const l of noisy.slice(0, 10)) console.log(`  ${l.slice(0, 400)}`);
      }
      if (process.env.KAFKA_COMPAT_KEEP) console.log(`\nkept broker data dir ${tmp}`);
      else fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  if (kafkajsLogs.length) {
    console.log(`\nkafkajs WARN/ERROR log lines (${kafkajsLogs.length}):`);
    for (const l of kafkajsLogs.slice(0, 20)) console.log(`  ${l.slice(0, 400)}`);
  }
  const failed = results.filter((r) => !r.ok);
  console.log(
    `\nKafka ${KAFKA_VERSION} + kafkajs: ${results.length - failed.length}/${results.length} passed in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  if (failed.length)
    throw new Error(`kafkajs-compat: ${failed.length} feature(s) failed: ${failed.map((f) => f.name).join('; ')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
