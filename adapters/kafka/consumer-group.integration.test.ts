// The consumer group against the real broker, where a chunk's retries or one slow chunk outlive the session timeout:
// the case the chaos suite found (a Postgres restart right after a Kafka restart left the aggregate group stopped for
// good while its process ran on).
import { useTestEnv, eventually } from '../../test/harness';
import { sendRecords } from '../../test/kafka-records';
import { startConsumerGroup, type RunningConsumerGroup } from './consumer-group';
import { deleteTopics, ensureTopics } from './topics';

const { env } = useTestEnv('consumergroup');

/** The broker's smallest session timeout (group.min.session.timeout.ms): the faults below outlast it. */
const SESSION_MS = 6_000;

const groups: RunningConsumerGroup[] = [];
const topics: string[] = [];
let topicNo = 0;
async function freshTopic(): Promise<string> {
  const topic = `cg_${env.runId}_${++topicNo}`;
  await ensureTopics(env.adapters.kafka, [{ topic, numPartitions: 1, retentionMs: 3_600_000 }]);
  topics.push(topic);
  return topic;
}

const send = (topic: string, values: string[]) =>
  sendRecords(
    env.adapters.kafka,
    topic,
    values.map((value) => ({ value })),
  );

afterAll(async () => {
  for (const g of groups) await g.stop().catch(() => undefined);
  await deleteTopics(env.adapters.kafka, topics).catch(() => undefined);
});

/** The member ids of a group, as its coordinator knows them. */
async function members(groupId: string): Promise<string[]> {
  const admin = env.adapters.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]!.members.map((m) => m.memberId).sort();
  } finally {
    await admin.disconnect();
  }
}

/** How often each value's chunk succeeded. */
function ledger() {
  const done = new Map<string, number>();
  return {
    done,
    note: (values: string[]) => values.forEach((v) => done.set(v, (done.get(v) ?? 0) + 1)),
    all: (values: string[]) => values.every((v) => (done.get(v) ?? 0) > 0),
  };
}

it('keeps its partition through a retry backoff longer than the session timeout: one member, each chunk once', async () => {
  const topic = await freshTopic();
  const first = ['a0', 'a1', 'a2', 'a3', 'a4'];
  await send(topic, first);
  const seen = ledger();
  const groupId = `cg_backoff_${env.runId}`;
  // 10 s, not the broker's 6 s minimum: heartbeats come every 3–4 s, which leaves room for a loaded machine.
  const sessionMs = 10_000;
  let failures = 0;
  let memberAtFailure: string[] = [];
  groups.push(
    await startConsumerGroup(env.config.kafka, {
      groupId,
      topics: [topic],
      batchSize: 100,
      sessionTimeoutMs: sessionMs,
      // One failure, then a wait half again as long as the session: without heartbeats meanwhile the coordinator
      // drops the member, which then rejoins under a new member id (and its chunk may succeed a second time).
      minRetryDelayMs: sessionMs * 1.5,
      maxRetryDelayMs: sessionMs * 1.5,
      onBatch: async (records) => {
        if (failures++ === 0) {
          memberAtFailure = await members(groupId);
          throw new Error('the store is down (injected)');
        }
        seen.note(records.map((r) => r.value!.toString()));
      },
    }),
  );
  await eventually(async () => (seen.all(first) ? true : undefined), 60_000);
  const next = ['b0', 'b1', 'b2'];
  await send(topic, next);
  await eventually(async () => (seen.all(next) ? true : undefined), 60_000);
  expect(memberAtFailure).toHaveLength(1);
  expect(await members(groupId)).toEqual(memberAtFailure);
  expect(Object.fromEntries(seen.done)).toEqual(Object.fromEntries([...first, ...next].map((v) => [v, 1])));
}, 120_000);

it('starts a new consumer when kafkajs gives up on its own (a chunk outlived the session and its commit was refused)', async () => {
  const topic = await freshTopic();
  const first = ['c0', 'c1'];
  await send(topic, first);
  const seen = ledger();
  let calls = 0;
  groups.push(
    await startConsumerGroup(env.config.kafka, {
      groupId: `cg_slow_${env.runId}`,
      topics: [topic],
      batchSize: 100,
      sessionTimeoutMs: SESSION_MS,
      onBatch: async (records) => {
        // The first chunk takes twice the session timeout with no heartbeat (a store that hangs, then answers):
        // the coordinator drops the member, and the commit after it is refused with "the coordinator is not aware
        // of this member", which kafkajs does not restart after.
        if (calls++ === 0) await new Promise((r) => setTimeout(r, SESSION_MS * 2));
        seen.note(records.map((r) => r.value!.toString()));
      },
    }),
  );
  await eventually(async () => (seen.all(first) ? true : undefined), 60_000);
  // The group must still be consuming: records sent now are handled.
  const next = ['d0', 'd1', 'd2'];
  await send(topic, next);
  await eventually(async () => (seen.all(next) ? true : undefined), 90_000);
  // The slow chunk's effect happened before the refused commit, so it may be handed over again (at least once,
  // which the stores' idempotence makes exactly once): 1 or 2 successes, later chunks once.
  expect(seen.done.get('c0')).toBeGreaterThanOrEqual(1);
  for (const v of next) expect(seen.done.get(v)).toBe(1);
}, 150_000);
