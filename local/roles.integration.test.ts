// Several processes hosting the aggregate role share one consumer group: each gets partitions, and every event is
// counted exactly once across them.
import { randomUUID } from 'node:crypto';
import { useTestEnv, eventually } from '../test/harness';
import { rawEvent } from '../test/builders';
import { createAdapters, type Adapters } from '../adapters';
import { encodeRawEvent } from '../core/raw-event';
import { groupMembers, consumerLag } from '../adapters/kafka/consumer-lag';
import { partitionLags } from '../core/freshness';
import { startLocalRuntime, type LocalRuntime } from './runtime';
import { runtimeOptions } from './roles';
import { rollupTotal, storedEventCount } from '../test/reads';

let second: Adapters;
const workers: LocalRuntime[] = [];
const tenants = Array.from({ length: 30 }, () => ({ id: randomUUID(), project: { id: randomUUID(), slug: 'web' } }));
const { env } = useTestEnv('roles', {
  beforeCleanup: async (env) => {
    for (const w of workers) await w.stop();
    await second?.close();
    await env.deleteTenantKeys(tenants.map((t) => t.id));
  },
});

/** The same adapters, but noting which tenants' events this worker processed. */
function watched(deps: Adapters, seen: Set<string>): Adapters {
  const rollupCache = {
    ...deps.rollupCache,
    advanceProgress: async (tenantId: string, atMs: number) => {
      seen.add(tenantId);
      await deps.rollupCache.advanceProgress(tenantId, atMs);
    },
  };
  return { ...deps, rollupCache };
}

beforeAll(() => {
  second = createAdapters(env.config); // another process: its own connections, the same configuration
});

it('two aggregate-only runtimes share the consumer group: both get partitions, every event is counted once', async () => {
  // Prepare: two workers as `npm start -- --only aggregate` runs them, in the same group.
  const seenA = new Set<string>();
  const seenB = new Set<string>();
  workers.push(await startLocalRuntime(watched(env.adapters, seenA), runtimeOptions(['aggregate'])));
  workers.push(await startLocalRuntime(watched(second, seenB), runtimeOptions(['aggregate'])));
  const { kafka, config } = env.adapters;
  const members = await eventually(
    async () => {
      const g = await groupMembers(kafka, config.kafka.groups.aggregate);
      const assigned = g.members.filter((m) => (m.assignment[config.kafka.topics.eventsRaw] ?? []).length > 0);
      return g.state === 'Stable' && assigned.length === 2 ? g.members : undefined;
    },
    60_000,
    250,
  );
  expect(members.flatMap((m) => m.assignment[config.kafka.topics.eventsRaw]!).sort()).toEqual([0, 1, 2]);

  // Act: 5 events for each of 30 tenants, every one sent twice (a producer retry).
  const events = tenants.flatMap((t) => Array.from({ length: 5 }, () => rawEvent(t, { eventType: 'scaled' })));
  const messages = events.map((e) => ({ key: e.tenantId, value: encodeRawEvent(e) }));
  await env.adapters.log.send(config.kafka.topics.eventsRaw, [...messages, ...messages]);

  // Assess: all committed, counts exact, and both workers did part of the work.
  await eventually(
    async () => {
      const lag = partitionLags(
        await consumerLag(kafka, config.kafka.groups.aggregate, config.kafka.topics.eventsRaw, Date.now),
      );
      return lag.every((l) => l.lag === 0) ? true : undefined;
    },
    60_000,
    250,
  );
  const ids = tenants.map((t) => t.id);
  expect(await storedEventCount(env.adapters.sql, ids)).toBe(150);
  expect(await rollupTotal(env.adapters.sql, ids, { eventType: 'scaled', interval: '1m' })).toBe(150);
  expect(seenA.size).toBeGreaterThan(0);
  expect(seenB.size).toBeGreaterThan(0);
  expect(new Set([...seenA, ...seenB])).toEqual(new Set(ids));
});
