// The servers under test run as child processes (own event loop, own RSS), driven over the IPC channel.
// Parent side: startChild(). Child side: serveCommands(). Commands: stats, reset, profile-start,
// profile-stop, stop. The child reports its peak RSS, CPU time, event-loop utilization and whatever
// `extra()` adds (the ingest server: how many messages each Kafka sendBatch carried).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface ChildStats {
  pid: number;
  rssBytes: number;
  /** Peak RSS of the process's whole life (getrusage maxrss; VmHWM on Linux). */
  peakRssBytes: number;
  /** Since the last reset. */
  cpuMs: number;
  wallMs: number;
  /** Event-loop utilization since the last reset: 1.0 = the loop never waited. */
  elu: number;
  /** Event-loop delay since the last reset (how late timers ran: time the loop was blocked), ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  extra: Record<string, number>;
}

type Command = { id: number; cmd: 'stats' | 'reset' | 'profile-start' | 'profile-stop' | 'stop'; file?: string };
type Reply = { id: number; ok: boolean; data?: unknown; error?: string };
type Ready = { type: 'ready'; url: string };

// ---------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------

function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS * 1024;
}

export function serveCommands(opts: {
  url: string;
  stop: () => Promise<void>;
  extra?: () => Record<string, number>;
  resetExtra?: () => void;
}): void {
  if (!process.send) throw new Error('run me through scripts/bench (needs an IPC channel)');
  let cpuMark = process.cpuUsage();
  let wallMark = performance.now();
  let eluMark: EventLoopUtilization = performance.eventLoopUtilization();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  let session: Session | undefined;

  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) =>
      session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))),
    );

  const handlers: Record<Command['cmd'], (c: Command) => Promise<unknown>> = {
    async stats() {
      const cpu = process.cpuUsage(cpuMark);
      const stats: ChildStats = {
        pid: process.pid,
        rssBytes: process.memoryUsage.rss(),
        peakRssBytes: peakRssBytes(),
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: performance.now() - wallMark,
        elu: performance.eventLoopUtilization(eluMark).utilization,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
        extra: opts.extra?.() ?? {},
      };
      return stats;
    },
    async reset() {
      cpuMark = process.cpuUsage();
      wallMark = performance.now();
      eluMark = performance.eventLoopUtilization();
      loopDelay.reset();
      opts.resetExtra?.();
    },
    async 'profile-start'() {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
    },
    async 'profile-stop'(c) {
      if (!session) throw new Error('no profile running');
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      session.disconnect();
      session = undefined;
      writeFileSync(c.file!, JSON.stringify(profile));
    },
    async stop() {
      setImmediate(() => {
        void opts.stop().finally(() => process.exit(0));
      });
    },
  };

  process.on('message', (c: Command) => {
    handlers[c.cmd](c).then(
      (data) => process.send!({ id: c.id, ok: true, data } satisfies Reply),
      (e: unknown) => process.send!({ id: c.id, ok: false, error: String((e as Error)?.stack ?? e) } satisfies Reply),
    );
  });
  // The parent went away (Ctrl-C, crash): do not linger.
  process.on('disconnect', () => void opts.stop().finally(() => process.exit(0)));
  process.send({ type: 'ready', url: opts.url } satisfies Ready);
}

// ---------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------

export interface RunningChild {
  pid: number;
  url: string;
  stats(): Promise<ChildStats>;
  reset(): Promise<void>;
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  /** Asks the child to stop, waits up to 10 s, then kills it. */
  stop(): Promise<void>;
}

export async function startChild(
  script: string,
  env: Record<string, string>,
  logFile: string,
  timeoutMs = 60_000,
): Promise<RunningChild> {
  // Inherits tsx's loader through process.execArgv; stdout/stderr go to a log file.
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let log = '';
  const keep = (b: Buffer) => {
    log += b.toString('utf8');
    if (log.length > 1_000_000) log = log.slice(-500_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const flushLog = () => writeFileSync(logFile, log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), flushLog(), resolve())));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: (url: string) => void = () => undefined;
  let startTimer: NodeJS.Timeout | undefined;
  const readyP = new Promise<string>((resolve, reject) => {
    ready = resolve;
    startTimer = setTimeout(
      () => reject(new Error(`${script} did not start within ${timeoutMs} ms; log:\n${log.slice(-3000)}`)),
      timeoutMs,
    );
    void exit.then(() => reject(new Error(`${script} exited during start-up; log:\n${log.slice(-3000)}`)));
  });
  child.on('message', (m: Reply | Ready) => {
    if ('type' in m) return ready(m.url);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.data);
    else w.reject(new Error(m.error));
  });
  void exit.then(() => {
    for (const w of waiting.values()) w.reject(new Error(`${script} exited; log:\n${log.slice(-3000)}`));
    waiting.clear();
  });

  const call = <T>(cmd: Command['cmd'], file?: string, ms = 30_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`${script} is not running`));
      const id = nextId++;
      const t = setTimeout(
        () => (waiting.delete(id), reject(new Error(`${script}: no answer to ${cmd} within ${ms} ms`))),
        ms,
      );
      waiting.set(id, {
        resolve: (v) => (clearTimeout(t), resolve(v as T)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      child.send({ id, cmd, file } satisfies Command);
    });

  let url: string;
  try {
    url = await readyP;
  } catch (e) {
    clearTimeout(startTimer);
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw e;
  }
  clearTimeout(startTimer);
  return {
    pid: child.pid!,
    url,
    stats: () => call<ChildStats>('stats'),
    reset: () => call<void>('reset'),
    profileStart: () => call<void>('profile-start'),
    profileStop: (file) => call<void>('profile-stop', file, 60_000),
    async stop() {
      if (!exited) {
        await call<void>('stop').catch(() => undefined);
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(t);
      }
      process.removeListener('exit', killOnExit);
    },
  };
}
