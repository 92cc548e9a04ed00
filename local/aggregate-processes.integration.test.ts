// `npm start -- --aggregate-processes N`: the aggregate role in N child processes of the one `npm start`, in one
// consumer group. Events posted to the parent's API are counted exactly once by the children; a child killed with
// SIGKILL is started again and nothing is lost or counted twice; SIGTERM stops every child before the parent exits;
// and children whose parent was SIGKILLed stop on their own (their IPC channel closed).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { childEnv, isAlive, ROOT } from '../test/child-process';
import { eventually, useTestEnv } from '../test/harness';
import { call } from '../test/builders';
import { untilRecomputable } from '../test/recompute';
import { rollupTotal, storedEventCount } from '../test/reads';
import { freePort } from '../scripts/kafka/broker';
import { groupMembers } from '../adapters/kafka/consumer-lag';

const parents: ChildProcess[] = [];
const childPids: number[] = [];
const web = mkdtempSync(join(tmpdir(), 'cs-aggproc-web-'));
// An index.html newer than frontend/src: the http role then skips the dashboard build (not under test here).
writeFileSync(join(web, 'index.html'), '<!doctype html><title>aggregate processes</title>\n');

const { env, tenant } = useTestEnv('aggproc', {
  tenants: 1,
  beforeCleanup: async () => {
    for (const p of parents) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const pid of childPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(web, { recursive: true, force: true });
  },
});

interface Platform {
  parent: ChildProcess;
  url: string;
  /** Everything the parent printed so far (its children's lines under their labels). */
  output: () => string;
  /** The pid the parent last reported for `label`, once it has. */
  pidOf: (label: string) => Promise<number>;
}

async function startPlatform(processes: number): Promise<Platform> {
  const port = await freePort();
  // node with tsx as a loader, not the tsx CLI: a SIGKILL of the CLI would leave the real process running.
  const parent = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'scripts/start.ts'),
      '--only',
      'http,aggregate',
      '--aggregate-processes',
      String(processes),
      '--no-demo',
    ],
    {
      cwd: ROOT,
      env: childEnv(env.config, {
        PORT: String(port),
        HOST: '127.0.0.1',
        WEB_DIST_DIR: relative(ROOT, web),
        MAIL_SINK_PORT: '0',
        AGGREGATE_BATCH_SIZE: '50',
        // A SIGKILLed member holds its partitions until its session times out: 10 s, not 30 s.
        KAFKA_SESSION_TIMEOUT: '10s',
        LOG_LEVEL: 'WARN',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  parents.push(parent);
  let out = '';
  parent.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  parent.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const pidOf = (label: string) =>
    eventually(async () => {
      const pids = [...out.matchAll(new RegExp(`^${label}: started \\(pid (\\d+)\\)$`, 'gm'))].map((m) => Number(m[1]));
      const pid = pids.at(-1);
      if (pid !== undefined && !childPids.includes(pid)) childPids.push(pid);
      return pid;
    }, 60_000);
  await eventually(async () => {
    if (parent.exitCode !== null) throw new Error(`npm start exited (code ${parent.exitCode}):\n${out}`);
    return /CustomerSignal worker running/.test(out) ? true : undefined;
  }, 120_000);
  return { parent, url: `http://127.0.0.1:${port}`, output: () => out, pidOf };
}

async function post(url: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 100) {
    const batch = Array.from({ length: Math.min(100, from + count - i) }, (_, k) => ({
      event_id: `aggproc-${i + k}`,
      event_type: (i + k) % 2 === 0 ? 'agg_a' : 'agg_b',
      project: tenant.project.slug,
      user_id: `u${(i + k) % 37}`,
      timestamp: new Date(Date.now() - ((i + k) % 300) * 1_000).toISOString(),
    }));
    const res = await call(url, '/v1/events', { method: 'POST', key: tenant.keys.ingest, json: { events: batch } });
    expect(res.status).toBe(202);
  }
}

async function countedExactly(expected: number): Promise<void> {
  await eventually(
    async () => ((await storedEventCount(env.adapters.sql, tenant.id)) === expected ? true : undefined),
    90_000,
    250,
  );
  await untilRecomputable(env.adapters.sql, tenant.id);
  expect(await rollupTotal(env.adapters.sql, tenant.id)).toBe(expected);
}

it('counts through two aggregate processes, restarts a killed one, and stops them all on SIGTERM', async () => {
  // Prepare: the API in this process, the aggregate role in two children.
  const p = await startPlatform(2);
  const [first, second] = [await p.pidOf('aggregate 1'), await p.pidOf('aggregate 2')];
  expect(first).not.toBe(second);

  // Act + assess: events are counted exactly once by the children (the parent runs no consumer).
  await post(p.url, 0, 1_000);
  await countedExactly(1_000);

  // Act: kill one child; events keep arriving while it is gone and restarted.
  process.kill(first, 'SIGKILL');
  await post(p.url, 1_000, 1_000);
  const restarted = await eventually(async () => {
    const pid = await p.pidOf('aggregate 1');
    return pid !== first ? pid : undefined;
  }, 60_000);

  // Assess: restarted (said so), nothing lost, nothing counted twice.
  expect(p.output()).toMatch(/aggregate 1: exited \(SIGKILL\) unexpectedly; starting it again in 1 s/);
  expect(isAlive(restarted)).toBe(true);
  await countedExactly(2_000);

  // Act: stop the platform as Ctrl-C or a service manager would.
  const exited = new Promise<number | null>((r) => p.parent.once('exit', (code) => r(code)));
  p.parent.kill('SIGTERM');

  // Assess: a clean exit, and no child outlives it.
  expect(await exited).toBe(0);
  expect([restarted, second].filter(isAlive)).toEqual([]);
}, 300_000);

it.each(['while it starts', 'once it runs'])(
  'a child stops on its own when its parent is SIGKILLed %s',
  async (when) => {
    // Prepare
    const p = await startPlatform(1);
    const child = await p.pidOf('aggregate 1');
    const members = async () => (await groupMembers(env.adapters.kafka, env.config.kafka.groups.aggregate)).members;
    if (when === 'once it runs')
      await eventually(async () => ((await members()).length === 1 ? true : undefined), 60_000);

    // Act
    p.parent.kill('SIGKILL');

    // Assess: the child saw its parent go (its IPC channel closed) and stopped.
    await eventually(async () => (isAlive(child) ? undefined : true), 60_000, 100);
    // …cleanly: it left the consumer group on its way out. A child that crashed instead (say, on EPIPE from its dead
    // parent's stdout) would stay a member until its 10 s session ran out.
    if (when === 'once it runs') expect(await members()).toEqual([]);
  },
  300_000,
);
