// `npm start`'s child processes (the aggregate role, `--aggregate-processes N`): started, their output passed on line
// by line under a label, started again after an unexpected exit (with a growing pause while they keep failing), and
// stopped with SIGTERM, then SIGKILL after a grace period, before the process that owns them stops the broker.
// Each child has an IPC channel; a child started this way stops itself when the channel closes (its parent is gone,
// even by SIGKILL), so no consumer outlives the platform it belonged to.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { doublingDelayMs } from '../core/backoff';

export interface ChildSpec {
  /** Shown before each line of the child's output, and in the supervisor's own lines. */
  label: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface SupervisorOptions {
  say: (line: string) => void;
  /** Pause before a restart after `failures` unexpected exits in a row (restartDelayMs by default). */
  restartDelayMs?: (failures: number) => number;
  /** A child that ran this long before it exited starts a new series of failures. */
  healthyAfterMs?: number;
  /** After SIGTERM on stop, how long a child may take before SIGKILL. */
  stopGraceMs?: number;
  now?: () => number;
}

export interface Supervisor {
  /** The running children's pids, by label. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

/** 1 s, 2 s, 4 s … at most 30 s. */
export function restartDelayMs(failures: number): number {
  return doublingDelayMs(failures - 1, 1_000, 30_000);
}

export function superviseChildren(specs: ChildSpec[], opts: SupervisorOptions): Supervisor {
  const now = opts.now ?? Date.now;
  const delay = opts.restartDelayMs ?? restartDelayMs;
  const healthyAfterMs = opts.healthyAfterMs ?? 60_000;
  let stopping = false;

  const slots = specs.map((spec) => {
    const slot = {
      spec,
      child: undefined as ChildProcess | undefined,
      failures: 0,
      timer: undefined as NodeJS.Timeout | undefined,
      exited: Promise.resolve(),
    };
    const run = () => {
      slot.timer = undefined;
      if (stopping) return;
      const startedAt = now();
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      slot.child = child;
      for (const stream of [child.stdout, child.stderr])
        if (stream) createInterface({ input: stream }).on('line', (line) => opts.say(`[${spec.label}] ${line}`));
      // 'close', not 'exit': it comes after the child's output has been read (its last lines print first), and also
      // when the child could not be started at all ('error' then, and no 'exit'), so the slot always moves on.
      slot.exited = new Promise<void>((resolve) => {
        child.once('close', (code, signal) => {
          slot.child = undefined;
          resolve();
          if (stopping) return;
          slot.failures = now() - startedAt >= healthyAfterMs ? 1 : slot.failures + 1;
          const pause = delay(slot.failures);
          opts.say(
            `${spec.label}: exited (${signal ?? `code ${code}`}) unexpectedly; starting it again in ${(pause / 1000).toFixed(0)} s`,
          );
          slot.timer = setTimeout(run, pause);
        });
      });
      child.on('error', (e) => opts.say(`${spec.label}: ${e.message}`));
      if (child.pid !== undefined) opts.say(`${spec.label}: started (pid ${child.pid})`);
    };
    run();
    return slot;
  });

  return {
    pids: () =>
      Object.fromEntries(
        slots.flatMap((s) => (s.child?.pid === undefined ? [] : [[s.spec.label, s.child.pid] as const])),
      ),
    async stop() {
      stopping = true;
      await Promise.all(
        slots.map(async (slot) => {
          if (slot.timer) clearTimeout(slot.timer);
          const child = slot.child;
          if (!child) return;
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), opts.stopGraceMs ?? 20_000);
          await slot.exited;
          clearTimeout(kill);
        }),
      );
    },
  };
}
