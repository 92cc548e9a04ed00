// What every benchmark gets from the runner, and what it hands back: rows of the one table.

export interface BenchOptions {
  /** Warm-up before each measured window, seconds. */
  warmupS: number;
  /** Measured window of each throughput run, seconds. */
  durationS: number;
  /** Measured window of each fixed-rate latency run, seconds. */
  latencyS: number;
  /** Each comparison alternates ours and the baseline in this many slices of durationS/rounds (load drift hits both). */
  rounds: number;
  /** HTTP connections of the load generator. */
  connections: number;
  /** CPU-profile the servers under test during their measured windows (numbers then carry profiler overhead). */
  profile: boolean;
  /** ProducerPerformance: measured records and warm-up records. */
  ppRecords: number;
  ppWarmupRecords: number;
  /** Experiments in the ingest server (see ingest-server.ts), e.g. ['no-rate-limit']; never with --write-docs. */
  ablate: string[];
  /** aggregate: raw events seeded in Postgres for the metrics-read and rebuild rows (--events=N). */
  seedEvents: number;
  /** aggregate: events pre-filled into events_raw for the throughput row. */
  topicEvents: number;
  /** aggregate: timed requests per side of the GET /v1/metrics rows. */
  queryRequests: number;
  /** pipeline: one scale-out row per count, that many aggregate-only processes in one consumer group (none: no rows). */
  aggregateProcesses: number[];
}

export interface Row {
  benchmark: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  /** true met, false missed, undefined nothing to meet. */
  met?: boolean;
}

export interface BenchResult {
  rows: Row[];
  /** Supporting measurements of the same run: CPU shares, batch sizes, checks. */
  details: string[];
}

export interface RunningKafka {
  brokers: string;
  pid: number;
  /** The broker's jars (also ProducerPerformance's). */
  libsDir: string;
  version: string;
}

export interface BenchContext {
  opts: BenchOptions;
  /** A scratch directory outside the repo, removed at the end. */
  tmpDir: string;
  /** With --profile: where .cpuprofile files go (outside the repo, kept). */
  profileDir?: string;
  /** One progress line (stderr). */
  progress(line: string): void;
  /** The run's throwaway broker, started on first use and stopped at the end. */
  kafka(): Promise<RunningKafka>;
  /** Records how many cores other processes on the machine used during a measured window. */
  contention(phase: string, otherCores: number): void;
  /** Cleanup to run at the end (also on Ctrl-C), last registered first. */
  defer(what: string, fn: () => Promise<void>): void;
}

export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  ratio: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a'),
  ms: (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) + ' ms' : 'n/a'),
  mb: (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : 'n/a'),
};

/** "≥ 0.5 — met" / "≥ 0.5 — MISSED" / as given when there is nothing to meet. */
export function goal(text: string, met: boolean | undefined): string {
  if (met === undefined) return text;
  return `${text} — ${met ? 'met' : 'MISSED'}`;
}

/**
 * The rows and details a benchmark hands back, and `note`: a detail line also shown as progress. Every benchmark
 * starts with one: `const out = recorder(ctx); … out.note(…); out.rows.push(…); return out.result();`.
 */
export function recorder(ctx: Pick<BenchContext, 'progress'>): {
  rows: Row[];
  details: string[];
  note(line: string): void;
  result(): BenchResult;
} {
  const rows: Row[] = [];
  const details: string[] = [];
  return {
    rows,
    details,
    note: (line) => {
      details.push(line);
      ctx.progress(`  ${line}`);
    },
    result: () => ({ rows, details }),
  };
}
