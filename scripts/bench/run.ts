// `npm run bench [-- <name> ...] [--write-docs] [--profile] [--quick] [--duration=S] [--warmup=S]
//                 [--latency-duration=S] [--rounds=N] [--connections=N] [--ablate=x,y] [--events=N] [--queries=N] [--topic-events=N]
//                 [--aggregate-processes=1,2,3]`
// Runs the named benchmarks (all when none is named) against a throwaway Kafka broker, database, topics and
// tenant, and prints ONE table of ratios measured in the same run, with the commit and the machine.
// Writes nothing into the repo unless --write-docs (then it rewrites the results section of
// docs/benchmarks.md). Each benchmark is a module exporting a `Benchmark` (see context.ts): add it to
// BENCHMARKS below.
import './quiet-logs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertPostgresAndRedis, ServiceUnavailableError } from '../service-checks';
import { parseConfig } from '../../adapters/config';
import { createKafka } from '../../adapters/kafka/client';
import { deleteTopics, ensureTopics } from '../../adapters/kafka/topics';
import { ensureKafkaJars, freePort, KAFKA_VERSION, startBroker, type RunningBroker } from '../kafka/broker';
import type { Benchmark, BenchContext, BenchOptions, Row, RunningKafka } from './context';
import { ingestBenchmark } from './ingest';
import { aggregateBenchmark } from './aggregate';
import { alertBenchmark } from './alert';
import { analyticsBenchmark } from './analytics';
import { pipelineBenchmark } from './pipeline';
import { gitCommit, loadAvg, machine } from './sys';

const BENCHMARKS: Benchmark[] = [
  ingestBenchmark,
  pipelineBenchmark,
  aggregateBenchmark,
  alertBenchmark,
  analyticsBenchmark,
];

const REPO = path.resolve(__dirname, '..', '..');
const DOCS = path.join(REPO, 'docs', 'benchmarks.md');
// One results block per benchmark, so that `npm run bench -- <name> --write-docs` rewrites only its own.
const startMarker = (name: string) =>
  `<!-- bench:results:${name}:start — written by \`npm run bench -- ${name} --write-docs\`; edit outside these markers -->`;
const endMarker = (name: string) => `<!-- bench:results:${name}:end -->`;

class UsageError extends Error {}

/**
 * A fresh KRaft broker answers metadata before it can serve a new topic's partitions ("This server does not
 * host this topic-partition"). Creates and deletes a probe topic until that works: at most 6 tries, ~30 s.
 */
async function topicsWork(brokers: string): Promise<void> {
  const kafka = createKafka({ brokers: [brokers], clientId: 'bench-probe' });
  const probe = `bench_probe_${randomBytes(4).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(kafka, [{ topic: probe, numPartitions: 6, retentionMs: 60_000 }]);
      await deleteTopics(kafka, [probe]);
      return;
    } catch (e) {
      if (attempt >= 6) throw new Error(`the new broker cannot create topics: ${(e as Error).message}`, { cause: e });
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

function parseArgs(argv: string[]): { names: string[]; writeDocs: boolean; opts: BenchOptions } {
  const opts: BenchOptions = {
    warmupS: 3,
    durationS: 10,
    latencyS: 8,
    rounds: 2,
    connections: 10,
    profile: false,
    ppRecords: 600_000,
    ppWarmupRecords: 150_000,
    ablate: [],
    seedEvents: 10_000_000,
    topicEvents: 200_000,
    queryRequests: 300,
    aggregateProcesses: [1, 2, 3],
  };
  let seedEventsGiven = false;
  let queriesGiven = false;
  let writeDocs = false;
  const names: string[] = [];
  const num = (v: string | undefined, flag: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} takes a number from ${min} to ${max}`);
    return n;
  };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--write-docs') writeDocs = true;
    else if (flag === '--profile') opts.profile = true;
    else if (flag === '--quick')
      Object.assign(opts, {
        warmupS: 1,
        durationS: 3,
        latencyS: 3,
        rounds: 1,
        ppRecords: 100_000,
        ppWarmupRecords: 30_000,
        topicEvents: 50_000,
        ...(queriesGiven ? {} : { queryRequests: 60 }),
        ...(seedEventsGiven ? {} : { seedEvents: 300_000 }),
      });
    else if (flag === '--duration') opts.durationS = num(value, flag, 1, 60);
    else if (flag === '--warmup') opts.warmupS = num(value, flag, 0, 30);
    else if (flag === '--latency-duration') opts.latencyS = num(value, flag, 1, 60);
    else if (flag === '--connections') opts.connections = num(value, flag, 1, 256);
    else if (flag === '--rounds') opts.rounds = num(value, flag, 1, 10);
    else if (flag === '--events') {
      opts.seedEvents = num(value, flag, 10_000, 100_000_000);
      seedEventsGiven = true;
    } else if (flag === '--queries') {
      opts.queryRequests = num(value, flag, 10, 100_000);
      queriesGiven = true;
    } else if (flag === '--topic-events') opts.topicEvents = num(value, flag, 10_000, 5_000_000);
    else if (flag === '--aggregate-processes')
      opts.aggregateProcesses = (value ?? '')
        .split(',')
        .filter(Boolean)
        .map((v) => num(v, flag, 1, 6));
    else if (flag === '--ablate') opts.ablate = (value ?? '').split(',').filter(Boolean);
    else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
    else if (BENCHMARKS.some((b) => b.name === flag)) names.push(flag);
    else throw new UsageError(`unknown benchmark "${flag}"; there are: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  }
  if (writeDocs && opts.profile)
    throw new UsageError('--profile adds profiler overhead to the numbers; do not combine it with --write-docs');
  if (writeDocs && opts.ablate.length > 0)
    throw new UsageError('--ablate measures a modified server; do not combine it with --write-docs');
  return { names: names.length > 0 ? names : BENCHMARKS.map((b) => b.name), writeDocs, opts };
}

async function checkServices(): Promise<void> {
  try {
    await assertPostgresAndRedis(parseConfig(process.env));
  } catch (e) {
    if (e instanceof ServiceUnavailableError) throw new UsageError(e.message);
    throw e;
  }
}

function table(rows: Row[]): string {
  const cols = ['benchmark', 'ours', 'baseline', 'ratio', 'goal'] as const;
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${cols.join(' | ')} |`,
    '|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${cols.map((c) => esc(r[c])).join(' | ')} |`),
  ].join('\n');
}

function writeDocs(name: string, section: string): void {
  const START = startMarker(name);
  const END = endMarker(name);
  const block = `${START}\n${section.trim()}\n${END}`;
  if (!existsSync(DOCS)) {
    mkdirSync(path.dirname(DOCS), { recursive: true });
    writeFileSync(DOCS, `# Benchmarks\n\n${block}\n`);
    return;
  }
  const text = readFileSync(DOCS, 'utf8');
  const a = text.indexOf(START.slice(0, START.indexOf(':start') + ':start'.length));
  const b = text.indexOf(END);
  if (a >= 0 && b > a) return writeFileSync(DOCS, text.slice(0, a) + block + text.slice(b + END.length));
  // A new benchmark's block goes after the last existing one, else at the end.
  const ends = [...text.matchAll(/<!-- bench:results:[a-z0-9-]+:end -->/g)];
  const last = ends[ends.length - 1];
  if (last?.index !== undefined) {
    const at = last.index + last[0].length;
    return writeFileSync(DOCS, `${text.slice(0, at)}\n\n${block}${text.slice(at)}`);
  }
  writeFileSync(DOCS, `${text.trimEnd()}\n\n${block}\n`);
}

async function main(): Promise<number> {
  const { names, writeDocs: write, opts } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const progress = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  const loadBefore = loadAvg();
  await checkServices();

  const tmpDir = mkdtempSync(path.join(tmpdir(), 'cs-bench-'));
  const cleanups: { what: string; fn: () => Promise<void> }[] = [];
  let broker: RunningBroker | undefined;
  let kafkaP: Promise<RunningKafka> | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups.splice(0).reverse()) {
        await c.fn().catch((e: unknown) => progress(`cleanup of ${c.what} failed: ${(e as Error).message}`));
      }
      rmSync(tmpDir, { recursive: true, force: true });
    })());
  const contention: { phase: string; cores: number }[] = [];
  const profileDir = opts.profile ? mkdtempSync(path.join(tmpdir(), 'cs-bench-profiles-')) : undefined;
  const ctx: BenchContext = {
    opts,
    tmpDir,
    profileDir,
    progress,
    defer: (what, fn) => cleanups.push({ what, fn }),
    contention: (phase, cores) => contention.push({ phase, cores }),
    kafka: () =>
      (kafkaP ??= (async () => {
        const libsDir = await ensureKafkaJars({ log: (l) => progress(`kafka: ${l}`) });
        const dataDir = path.join(tmpDir, 'kafka');
        progress(`kafka: starting a throwaway Kafka ${KAFKA_VERSION} broker …`);
        broker = await startBroker({
          host: '127.0.0.1',
          port: await freePort(),
          dataDir,
          logFile: path.join(dataDir, 'broker.log'),
        });
        const b = broker;
        cleanups.push({ what: 'kafka broker', fn: () => b.stop() });
        await topicsWork(broker.brokers);
        progress(`kafka: broker ready on ${broker.brokers}`);
        return { brokers: broker.brokers, pid: broker.pid, libsDir, version: KAFKA_VERSION };
      })()),
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    progress('interrupted: cleaning up (broker, servers, database) …');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const rows: Row[] = [];
  const details: string[] = [];
  const perBench: {
    name: string;
    rows: Row[];
    details: string[];
    contention: typeof contention;
    loadBefore: string;
    loadAfter: string;
    seconds: number;
  }[] = [];
  try {
    for (const name of names) {
      const bench = BENCHMARKS.find((b) => b.name === name)!;
      progress(`${name}: ${bench.title}`);
      const mark = { contention: contention.length, load: loadAvg(), at: Date.now() };
      const r = await bench.run(ctx);
      const benchRows = r.rows.map((row) => ({ ...row, benchmark: `${name}: ${row.benchmark}` }));
      const benchDetails = r.details.map((d) => `${name}: ${d}`);
      rows.push(...benchRows);
      details.push(...benchDetails);
      perBench.push({
        name,
        rows: benchRows,
        details: benchDetails,
        contention: contention.slice(mark.contention),
        loadBefore: mark.load,
        loadAfter: loadAvg(),
        seconds: (Date.now() - mark.at) / 1000,
      });
    }
  } finally {
    progress('cleaning up …');
    await cleanup();
  }

  const elapsed = (Date.now() - started) / 1000;
  const contentionLine = (cs: typeof contention) => {
    if (cs.length === 0) return [];
    const avg = cs.reduce((n, c) => n + c.cores, 0) / cs.length;
    const worst = cs.reduce((a, b) => (b.cores > a.cores ? b : a));
    return [
      `Other processes used ${avg.toFixed(2)} of the machine's cores on average during the measured windows (most: ${worst.cores.toFixed(2)} in ${worst.phase})` +
        (worst.cores > 0.3
          ? ' — WARNING: the machine was shared; these numbers are noisy, rerun when it is quiet.'
          : '.'),
    ];
  };
  const firstLines = [
    `Commit ${gitCommit(REPO)}, measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}` +
      `${opts.profile ? ' WITH THE CPU PROFILER ON (numbers carry its overhead)' : ''}` +
      `${opts.ablate.length > 0 ? ` WITH EXPERIMENTS ON: ${opts.ablate.join(', ')} (not our code as it is)` : ''}.`,
    `Machine: ${machine(KAFKA_VERSION)}.`,
  ];
  const header = [
    ...firstLines,
    `Load average (1/5/15 min) before ${loadBefore}, after ${loadAvg()}; whole run ${elapsed.toFixed(0)} s.`,
    ...contentionLine(contention),
  ];
  const out = [...header, '', table(rows), ''].join('\n');
  process.stdout.write(`\n${out}\nDetails of the same run:\n${details.map((d) => `- ${d}`).join('\n')}\n`);
  const missed = rows.filter((r) => r.met === false).length;
  if (write) {
    for (const b of perBench) {
      const h = [
        ...firstLines,
        `Load average (1/5/15 min) before ${b.loadBefore}, after ${b.loadAfter}; this benchmark ${b.seconds.toFixed(0)} s.`,
        ...contentionLine(b.contention),
      ];
      writeDocs(
        b.name,
        [
          ...h.map((l) => `${l}\n`),
          table(b.rows),
          '',
          '<details><summary>Details of the same run</summary>',
          '',
          '```',
          ...b.details,
          '```',
          '</details>',
        ].join('\n'),
      );
    }
    process.stderr.write(
      `wrote the results of ${perBench.map((b) => b.name).join(', ')} into ${path.relative(process.cwd(), DOCS)}\n`,
    );
  }
  if (missed > 0) process.stderr.write(`${missed} goal(s) missed (see the goal column).\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(
        `${e.message ? e.message + '\n' : ''}usage: npm run bench [-- <${BENCHMARKS.map((b) => b.name).join('|')}> ...] [--write-docs] [--profile] [--quick] [--duration=S] [--warmup=S] [--latency-duration=S] [--rounds=N] [--connections=N] [--ablate=partitioner-memo,no-rate-limit] [--events=N] [--topic-events=N] [--aggregate-processes=1,2,3]\n`,
      );
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
