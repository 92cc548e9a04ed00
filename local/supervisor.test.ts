// The supervisor with plain node children (no services): labelled output, restarts after unexpected exits with a
// growing pause, and a stop that ends every child, by SIGKILL when SIGTERM is not enough.
import { restartDelayMs, superviseChildren, type ChildSpec, type Supervisor } from './supervisor';
import { eventually } from '../test/harness';
import { isAlive } from '../test/child-process';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop();
});

function nodeChild(label: string, script: string): ChildSpec {
  return { label, command: process.execPath, args: ['-e', script], env: process.env, cwd: __dirname };
}

/** Prints a line, then waits until stopped (SIGTERM ends it: node's default). */
const WAITS = `console.log('ready ' + process.pid); console.error('to stderr'); setInterval(() => {}, 1000);`;

describe('superviseChildren', () => {
  it('passes each child’s lines on under its label and reports its pid', async () => {
    // Prepare
    const lines: string[] = [];
    const s = superviseChildren([nodeChild('a 1', WAITS), nodeChild('a 2', WAITS)], { say: (l) => lines.push(l) });
    supervisors.push(s);

    // Act
    await eventually(async () =>
      lines.filter((l) => l.includes('ready')).length === 2 && lines.filter((l) => l.includes('stderr')).length === 2
        ? true
        : undefined,
    );

    // Assess
    const pids = s.pids();
    expect(Object.keys(pids).sort()).toEqual(['a 1', 'a 2']);
    expect(lines).toContain(`a 1: started (pid ${pids['a 1']})`);
    expect(lines).toContain(`[a 1] ready ${pids['a 1']}`);
    expect(lines).toContain(`[a 2] ready ${pids['a 2']}`);
    expect(lines).toContain('[a 2] to stderr');
  });

  it('starts a child again after an unexpected exit, with a growing pause while it keeps failing', async () => {
    // Prepare: a child that fails at once, every time; the pauses asked for are recorded and shortened.
    const lines: string[] = [];
    const asked: number[] = [];
    const s = superviseChildren([nodeChild('fails', 'process.exit(3)')], {
      say: (l) => lines.push(l),
      restartDelayMs: (failures) => (asked.push(restartDelayMs(failures)), 10),
    });
    supervisors.push(s);

    // Act
    await eventually(async () => (asked.length >= 4 ? true : undefined));
    await s.stop();

    // Assess
    expect(asked.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(lines).toContain('fails: exited (code 3) unexpectedly; starting it again in 0 s');
    expect(lines.filter((l) => l.startsWith('fails: started')).length).toBeGreaterThanOrEqual(4);
  });

  it('starts a series of failures afresh after a child ran for a while', async () => {
    // Prepare: the clock says each run lasted longer than healthyAfterMs.
    let t = 0;
    const asked: number[] = [];
    const s = superviseChildren([nodeChild('flaps', 'process.exit(1)')], {
      say: () => undefined,
      now: () => (t += 5_000),
      healthyAfterMs: 1_000,
      restartDelayMs: (failures) => (asked.push(failures), 10),
    });
    supervisors.push(s);

    // Act
    await eventually(async () => (asked.length >= 3 ? true : undefined));

    // Assess
    expect(asked.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('restarts a SIGKILLed child and stops every child on stop(), by SIGKILL after the grace period if need be', async () => {
    // Prepare: one child ignores SIGTERM.
    const lines: string[] = [];
    const stubborn = `process.on('SIGTERM', () => {}); ${WAITS}`;
    const s = superviseChildren([nodeChild('polite', WAITS), nodeChild('stubborn', stubborn)], {
      say: (l) => lines.push(l),
      restartDelayMs: () => 10,
      stopGraceMs: 500,
    });
    supervisors.push(s);
    await eventually(async () => (lines.filter((l) => l.includes('ready')).length === 2 ? true : undefined));
    const killed = s.pids().polite!;

    // Act: kill one, wait for its successor, then stop everything.
    process.kill(killed, 'SIGKILL');
    const successor = await eventually(async () => {
      const pid = s.pids().polite;
      return pid !== undefined && pid !== killed ? pid : undefined;
    });
    const stubbornPid = s.pids().stubborn!;
    await s.stop();

    // Assess
    expect(lines).toContain('polite: exited (SIGKILL) unexpectedly; starting it again in 0 s');
    expect(isAlive(successor)).toBe(false);
    expect(isAlive(stubbornPid)).toBe(false);
    expect(s.pids()).toEqual({});
  });

  it('tries again when a child cannot be started at all, and stop() still ends', async () => {
    // Prepare: a command that does not exist (spawn fails: 'error', never 'exit').
    const lines: string[] = [];
    const s = superviseChildren(
      [{ label: 'missing', command: '/nonexistent/customersignal-child', args: [], env: process.env, cwd: __dirname }],
      { say: (l) => lines.push(l), restartDelayMs: () => 10 },
    );
    supervisors.push(s);

    // Act
    await eventually(async () => (lines.filter((l) => l.includes('ENOENT')).length >= 2 ? true : undefined));
    await s.stop();

    // Assess: reported, retried, and stopped.
    expect(lines.some((l) => /^missing: .*ENOENT/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('missing: exited (') && l.includes('unexpectedly'))).toBe(true);
    expect(s.pids()).toEqual({});
  });

  it('pauses 1 s after the first failure, doubling up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(restartDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
});
