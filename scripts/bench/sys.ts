// The machine and the moment: commit, CPU, memory, versions, and who used the CPU during a phase.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

export function gitCommit(cwd: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha} (+ uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

export function machine(kafkaVersion: string): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${model}, ${cpus.length} cores, ${gib} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, Kafka ${kafkaVersion} (single local KRaft broker)`;
}

export function loadAvg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** CPU time (user+system) of a process, in ms; NaN if it is gone or this is not Linux. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS;
  } catch {
    return NaN;
  }
}

/** Busy CPU time of the whole machine (all cores), in ms. */
function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = v;
    return (user + nice + system + irq + softirq + steal) * CLOCK_TICK_MS;
  } catch {
    return NaN;
  }
}

export interface CpuShare {
  wallMs: number;
  /** Per named process: cores used on average (1.0 = one core fully busy). */
  cores: Record<string, number>;
  /** The whole machine, and what is left after our processes: someone else's load. */
  machineCores: number;
  otherCores: number;
}

/** Measures who used the CPU between start and stop(). `self` is this process; track() adds a process started meanwhile. */
export function cpuMeter(pids: Record<string, number>): { track(name: string, pid: number): void; stop(): CpuShare } {
  const t0 = performance.now();
  const m0 = machineBusyMs();
  const tracked = Object.entries(pids).map(([name, pid]) => ({
    name,
    pid,
    p0: name === 'self' ? cpuSelf() : processCpuMs(pid),
    last: NaN,
  }));
  // A process may exit before stop(): keep its last reading.
  const sample = () => {
    for (const t of tracked) {
      const v = t.name === 'self' ? cpuSelf() : processCpuMs(t.pid);
      if (Number.isFinite(v)) t.last = v;
    }
  };
  const sampler = setInterval(sample, 250);
  return {
    track(name, pid) {
      tracked.push({ name, pid, p0: 0, last: NaN });
    },
    stop() {
      clearInterval(sampler);
      sample();
      const wallMs = performance.now() - t0;
      const cores: Record<string, number> = {};
      let ours = 0;
      for (const t of tracked) {
        const used = t.last - t.p0;
        cores[t.name] = used / wallMs;
        if (Number.isFinite(used)) ours += used;
      }
      const machineCores = (machineBusyMs() - m0) / wallMs;
      return { wallMs, cores, machineCores, otherCores: Math.max(0, machineCores - ours / wallMs) };
    },
  };
}

function cpuSelf(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function describeCpu(s: CpuShare): string {
  const parts = Object.entries(s.cores).map(([n, c]) => `${n} ${Number.isFinite(c) ? c.toFixed(2) : '?'}`);
  return `CPU cores used: ${parts.join(', ')}; others on the machine ${s.otherCores.toFixed(2)} (machine total ${s.machineCores.toFixed(2)} of ${os.cpus().length})`;
}

/**
 * CPU time (ms) of every process whose command name is one of `names` (e.g. postgres backends, redis-server),
 * summed per name. Processes that exit between two readings are lost, so use it for long-lived ones (pooled
 * connections, servers).
 */
export function cpuByName(names: string[]): Record<string, Map<number, number>> {
  const out: Record<string, Map<number, number>> = Object.fromEntries(names.map((n) => [n, new Map<number, number>()]));
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const name = names.find((n) => comm === n || comm.startsWith(n));
      if (!name) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name]!.set(Number(pid), (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Cores used per name between two cpuByName readings `wallMs` apart (new processes counted from 0). */
export function coresByName(
  before: Record<string, Map<number, number>>,
  after: Record<string, Map<number, number>>,
  wallMs: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, now] of Object.entries(after)) {
    let ms = 0;
    for (const [pid, v] of now) ms += v - (before[name]?.get(pid) ?? 0);
    out[name] = ms / wallMs;
  }
  return out;
}

/**
 * Postgres and Redis work for the benchmarks: their CPU (all their processes, whoever they serve) is shown per
 * phase and left out of the contention figure; another user's queries would then be hidden in it.
 */
const SERVICES = ['postgres', 'redis-server'];

export interface PhaseCpu {
  cpu: CpuShare;
  /** Cores used by Postgres and Redis, all their processes. */
  services: Record<string, number>;
  /** Cores used by processes that are neither ours nor the services: someone else's load. */
  contention: number;
}

/** cpuMeter over `pids`, plus the services (Postgres, Redis) over the same window. */
export function phaseMeter(pids: Record<string, number>): { stop(): PhaseCpu } {
  const m = cpuMeter(pids);
  const before = cpuByName(SERVICES);
  const t = performance.now();
  return {
    stop() {
      const cpu = m.stop();
      const services = coresByName(before, cpuByName(SERVICES), performance.now() - t);
      const servicesCores = Object.values(services).reduce((a, b) => a + b, 0);
      return { cpu, services, contention: Math.max(0, cpu.otherCores - servicesCores) };
    },
  };
}

/** CPU time per event, µs, of `cores` used over the phase's window. */
export function usPerEvent(p: PhaseCpu, cores: number, events: number): number {
  return ((cores * p.cpu.wallMs) / Math.max(1, events)) * 1000;
}

/** describeCpu, the services' share, and with `events` every process's and service's CPU per event. */
export function describePhase(p: PhaseCpu, events?: number): string {
  const services = Object.entries(p.services)
    .map(([n, c]) => `${n} ${c.toFixed(2)}`)
    .join(', ');
  const perEvent =
    events === undefined
      ? ''
      : `; CPU per event: ${Object.entries({ ...p.cpu.cores, ...p.services })
          .filter(([, c]) => Number.isFinite(c) && c > 0.01)
          .map(([n, c]) => `${n} ${usPerEvent(p, c, events).toFixed(0)} µs`)
          .join(', ')}`;
  return `${describeCpu(p.cpu)}; of those others: ${services} (all their processes, whoever they serve)${perEvent}`;
}
