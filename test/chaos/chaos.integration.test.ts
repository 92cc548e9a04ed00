// The short chaos run (`npm run test:chaos`, about 3 minutes) as part of `npm test` / .ci/run: a real process with its
// own Kafka, Postgres and Redis on free ports, so it touches neither the shared services nor the other test files.
// Its table goes to the output; any failure it finds fails this test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  // On a failure the run copies its role and broker logs here; their last lines go into the failure message.
  const logs = mkdtempSync(join(tmpdir(), 'cs-chaos-logs-'));
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/chaos.ts'), '--keep-logs', logs], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
  process.stdout.write(`${output.slice(output.indexOf('\nchaos ('))}\n`);
  const kept = existsSync(logs) ? readdirSync(logs).sort() : [];
  const tails = kept.map((f) => `--- ${f} (last lines)\n${lastLines(readFileSync(join(logs, f), 'utf8'), 25)}`);
  rmSync(logs, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the chaos run failed (exit ${code}):\n${output.slice(-6_000)}\n${tails.join('\n')}`);
  expect(output).toContain('chaos: PASSED');
}, 600_000);

function lastLines(text: string, n: number): string {
  return text
    .trimEnd()
    .split('\n')
    .slice(-n)
    .map((l) => l.slice(0, 400))
    .join('\n');
}
