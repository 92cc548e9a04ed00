// The short chaos run (`npm run test:chaos`, about 3 minutes) as part of `npm test` / .ci/run: a real process with its
// own Kafka, Postgres and Redis on free ports, so it touches neither the shared services nor the other test files.
// Its table goes to the output; any failure it finds fails this test.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../child-process';

let child: ChildProcess | undefined;

afterAll(async () => {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  // SIGTERM lets the run clean up its processes and data dirs; SIGKILL if it does not manage within 60 s.
  const gone = new Promise((r) => child!.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child?.kill('SIGKILL'), 60_000);
  await gone;
  clearTimeout(t);
});

it('loses no acknowledged event, counts none twice and delivers every alert through kills and restarts (short chaos run)', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/chaos.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
  process.stdout.write(`${output.slice(output.indexOf('\nchaos ('))}\n`);
  if (code !== 0) throw new Error(`the chaos run failed (exit ${code}):\n${output.slice(-6_000)}`);
  expect(output).toContain('chaos: PASSED');
}, 600_000);
