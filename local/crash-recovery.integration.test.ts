// The aggregate worker as a real process (`npm start -- --only aggregate`), killed with SIGKILL while it works
// through a backlog, then started again: no event lost, none counted twice, every rollup equal to a
// recomputation from the raw events.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { childEnv, ROOT } from '../test/child-process';
import { useTestEnv, eventually } from '../test/harness';
import { untilRecomputable } from '../test/recompute';
import { rawEvent } from '../test/builders';
import { encodeRawEvent } from '../core/raw-event';
import { rollupTotal, storedEventCount } from '../test/reads';

const EVENTS = 4_000;
const children: ChildProcess[] = [];
const { env, tenant } = useTestEnv('crash', {
  overrides: { AGGREGATE_BATCH_SIZE: '50' },
  tenants: 1,
  beforeCleanup: async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  },
});

function startWorker(): ChildProcess {
  // node with tsx as a loader, not the tsx CLI: the CLI runs the script in a child process, so a SIGKILL of
  // the CLI would leave the worker itself running.
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/start.ts'), '--only', 'aggregate'], {
    cwd: ROOT,
    // The restarted worker's join waits until the killed member's session ran out: 10 s, not the default 30 s.
    env: childEnv(env.config, { AGGREGATE_BATCH_SIZE: '50', KAFKA_SESSION_TIMEOUT: '10s' }),
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

async function stored(): Promise<number> {
  return storedEventCount(env.adapters.sql, tenant.id);
}

it('loses nothing and counts nothing twice across a SIGKILL of the aggregate worker', async () => {
  // Prepare: a backlog of events (each sent twice, as a retrying producer would), spread over minutes.
  const now = Date.now();
  const events = Array.from({ length: EVENTS }, (_, i) =>
    rawEvent(tenant, {
      eventType: i % 3 === 0 ? 'crash_a' : 'crash_b',
      timestampMs: now - (i % 600) * 1_000,
      userId: `u${i % 97}`,
    }),
  );
  const messages = events.map((e) => ({ key: e.tenantId, value: encodeRawEvent(e) }));
  for (let i = 0; i < messages.length; i += 500)
    await env.adapters.log.send(env.config.kafka.topics.eventsRaw, messages.slice(i, i + 500));
  await env.adapters.log.send(env.config.kafka.topics.eventsRaw, messages.slice(0, 1_000));

  // Act: kill the worker while it is part-way through, then start another.
  const first = startWorker();
  await eventually(async () => ((await stored()) > 0 ? true : undefined), 60_000, 20);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atKill = await stored();
  startWorker();
  await eventually(async () => ((await stored()) === EVENTS ? true : undefined), 90_000, 250);

  // Assess: exact, and every rollup equals a recomputation from the raw events.
  expect(atKill).toBeLessThan(EVENTS); // it really died mid-way (otherwise this test proves less)
  await untilRecomputable(env.adapters.sql, tenant.id);
  expect(await rollupTotal(env.adapters.sql, tenant.id)).toBe(EVENTS);
});
