// The ingest benchmark: POST /v1/events through our HTTP path → validation → Kafka (acks=all), against
// Kafka-only and HTTP-only baselines on the same machine, broker and record bytes, in one run.
// Each comparison alternates ours and its baseline in `rounds` slices, so a neighbour's load that comes and
// goes during the run hits both sides alike; the slices of a side are summed.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startChild, type ChildStats, type RunningChild } from './child';
import { benchEnv, createBenchEnv, PARTITIONS } from './bench-env';
import { topicEnd } from './aggregate-kafka';
import {
  addMax,
  addPaced,
  cannon,
  maxThroughput,
  pacedLatency,
  type LoadTarget,
  type MaxResult,
  type PacedResult,
} from './load';
import { kafkajsLoop, producerPerformance, type KafkajsLoopResult } from './kafka-baselines';
import { bodyFactory, rawRecords } from './events';
import { cpuMeter, describeCpu, type CpuShare } from './sys';
import { formatProfile, summarizeProfile } from './profile';
import { fmt, goal, recorder, type Benchmark, type BenchContext, type BenchResult } from './context';

const EVENTS_PER_BATCH = 100;
const RSS_GOAL_BYTES = 300 * 2 ** 20;
// ProducerPerformance's producer settings; acks and idempotence as ours, the rest its usual tuning.
const PP_PROPS = {
  acks: 'all',
  'enable.idempotence': 'true',
  'linger.ms': '5',
  'batch.size': '262144',
  'client.id': 'bench-producer-performance',
};

function failures(s: MaxResult): string {
  const bad = s.non2xx + s.errors;
  return bad === 0
    ? ''
    : ` (${bad} of ${s.ok + bad} failed: ${JSON.stringify(s.statusCodes)}, errors ${s.errors}, timeouts ${s.timeouts})`;
}

/** Marks a number that rests on failing requests. */
function trust(s: MaxResult, text: string): string {
  const total = s.ok + s.non2xx + s.errors;
  return total > 0 && (s.non2xx + s.errors) / total > 0.01 ? `${text} (!)` : text;
}

/** One side of a comparison: its slices' results, CPU shares and server stats, summed. */
class Side<R> {
  result: R | undefined;
  private cpuMs: Record<string, number> = {};
  private wallMs = 0;
  private machineMs = 0;
  private otherMs = 0;
  private serverCpuMs = 0;
  private serverBusyMs = 0;
  private serverWallMs = 0;
  extra: Record<string, number> = {};
  loopDelayP99Ms = 0;
  loopDelayMaxMs = 0;
  profiling = false;

  constructor(
    readonly name: string,
    readonly server: RunningChild | undefined,
    private readonly merge: (a: R | undefined, b: R) => R,
  ) {}

  add(r: R, cpu: CpuShare, stats: ChildStats | undefined): void {
    this.result = this.merge(this.result, r);
    for (const [n, c] of Object.entries(cpu.cores)) this.cpuMs[n] = (this.cpuMs[n] ?? 0) + c * cpu.wallMs;
    this.wallMs += cpu.wallMs;
    this.machineMs += cpu.machineCores * cpu.wallMs;
    this.otherMs += cpu.otherCores * cpu.wallMs;
    if (stats) {
      this.serverCpuMs += stats.cpuMs;
      this.serverBusyMs += stats.elu * stats.wallMs;
      this.serverWallMs += stats.wallMs;
      // Sums, except the maxima.
      for (const [k, v] of Object.entries(stats.extra))
        this.extra[k] = k.endsWith('MaxMs') ? Math.max(this.extra[k] ?? 0, v) : (this.extra[k] ?? 0) + v;
      this.loopDelayP99Ms = Math.max(this.loopDelayP99Ms, stats.loopDelayP99Ms);
      this.loopDelayMaxMs = Math.max(this.loopDelayMaxMs, stats.loopDelayMaxMs);
    }
  }

  get cpu(): CpuShare {
    const cores = Object.fromEntries(Object.entries(this.cpuMs).map(([n, ms]) => [n, ms / this.wallMs]));
    return {
      wallMs: this.wallMs,
      cores,
      machineCores: this.machineMs / this.wallMs,
      otherCores: this.otherMs / this.wallMs,
    };
  }
  /** CPU ms of one named process over all slices (from /proc). */
  cpuMsOf(name: string): number {
    return this.cpuMs[name] ?? NaN;
  }
  get serverCpuMsTotal(): number {
    return this.serverCpuMs;
  }
  get serverElu(): number {
    return this.serverBusyMs / Math.max(1, this.serverWallMs);
  }
}

/** Where an ingest request waits, from the ingest server's own instrumentation (see ingest-server.ts). */
function serverTimings<R>(side: Side<R>): string {
  const x = side.extra;
  const calls = Math.max(1, x.sendBatchCalls!);
  return (
    `${(x.sendBatchMessages! / calls).toFixed(1)} events per Kafka sendBatch, a sendBatch takes ${fmt.ms(x.sendBatchMs! / calls)} on average (max ${fmt.ms(x.sendBatchMaxMs!)}); ` +
    `rate-limiter Redis call ${fmt.ms(x.rateLimitMs! / Math.max(1, x.rateLimitCalls!))} on average (max ${fmt.ms(x.rateLimitMaxMs!)}); ` +
    `event-loop delay p99 ${fmt.ms(side.loopDelayP99Ms)}, max ${fmt.ms(side.loopDelayMaxMs)}`
  );
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  title: 'POST /v1/events → validation → Kafka (acks=all)',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { opts } = ctx;
    const rounds = opts.rounds;
    const { rows, details, note } = recorder(ctx);
    const kafka = await ctx.kafka();

    ctx.progress('ingest: creating a database, topics and a tenant …');
    const extraTopics = ['pp', 'kjs', 'kjsm'].map((k) => `bench_${k}_${randomBytes(4).toString('hex')}`);
    const env = await createBenchEnv(ctx, kafka, 'bench', {
      extraTopics: extraTopics.map((topic) => ({ topic, numPartitions: PARTITIONS, retentionMs: 3_600_000 })),
    });
    const tenant = await env.createTenant();
    const [ppTopic, kjsTopic, kjsMergedTopic] = extraTopics as [string, string, string];
    const eventsRaw = env.config.kafka.topics.eventsRaw;

    ctx.progress('ingest: starting the ingest server and the bare node:http server (child processes) …');
    // What `npm start` runs with; everything else at its default, except the per-tenant rate limit (benchEnv).
    const childEnv = benchEnv(env, kafka, {
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'INFO',
      BENCH_ABLATE: opts.ablate.join(','),
    });
    const ingest = await startChild(
      path.join(__dirname, 'ingest-server.ts'),
      childEnv,
      path.join(ctx.tmpDir, 'ingest-server.log'),
    );
    ctx.defer('ingest: ingest server', () => ingest.stop());
    const bare = await startChild(path.join(__dirname, 'bare-server.ts'), {}, path.join(ctx.tmpDir, 'bare-server.log'));
    ctx.defer('ingest: bare server', () => bare.stop());

    const runTag = `bench-${randomBytes(4).toString('hex')}`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${tenant.keys.ingest}` };
    const batchBodies = bodyFactory(EVENTS_PER_BATCH, `${runTag}-b`);
    const singleBodies = bodyFactory(1, `${runTag}-s`);
    const records = rawRecords(1000);
    const payloadFile = path.join(ctx.tmpDir, 'payloads.txt');
    writeFileSync(payloadFile, records.values.join('\n') + '\n');
    const slice = (s: number) => s / rounds;
    note(
      `setup: ${EVENTS_PER_BATCH} events of ~${batchBodies.bytesPerEvent} bytes per batch request (${fmt.int(Buffer.byteLength(batchBodies.sample))} bytes), single events of ~${singleBodies.bytesPerEvent} bytes, unique event_ids; ` +
        `each event becomes a ~${records.avgBytes}-byte events_raw record keyed by tenant id with a request_id header; the kafkajs baselines send records of that shape, ` +
        `ProducerPerformance the same values under one fixed key (no header); topics of ${PARTITIONS} partitions; ${opts.connections} HTTP connections; ` +
        `${opts.warmupS} s warm-up per side, then ${rounds} alternating slice(s) per side: ${opts.durationS} s measured per side (${opts.latencyS} s for latency)`,
    );

    const label = (server: RunningChild) => (server === ingest ? 'ingest server' : 'bare server');
    /** One measured slice of a side: child stats reset, CPU metered, optionally profiled. */
    const measure = async <R>(side: Side<R>, fn: (track: (name: string, pid: number) => void) => Promise<R>) => {
      const pids: Record<string, number> = { broker: kafka.pid, 'load generator (this process)': process.pid };
      if (side.server) {
        pids[label(side.server)] = side.server.pid;
        await side.server.reset();
        if (ctx.profileDir && !side.profiling) {
          await side.server.profileStart();
          side.profiling = true;
        }
      }
      const meter = cpuMeter(pids);
      const r = await fn((n, pid) => meter.track(n, pid));
      const cpu = meter.stop();
      side.add(r, cpu, side.server ? await side.server.stats() : undefined);
    };
    /** After its last slice: CPU shares, contention, profile summary. */
    const finish = async <R>(side: Side<R>, units?: { count: number; label: string }) => {
      const cpu = side.cpu;
      ctx.contention(side.name, cpu.otherCores);
      note(
        `${side.name}: ${describeCpu(cpu)}${side.server ? `; event-loop utilization ${side.serverElu.toFixed(2)}` : ''}`,
      );
      if (side.server && side.profiling) {
        const file = path.join(ctx.profileDir!, `${side.name}.cpuprofile`);
        await side.server.profileStop(file);
        side.profiling = false;
        note(
          `${side.name}: CPU profile ${file} (spans all its slices; the other side's slices show as idle)\n${formatProfile(summarizeProfile(file, 15), side.name, units)}`,
        );
      }
    };
    const target = (server: RunningChild, body: () => string): LoadTarget => ({
      url: server.url,
      path: '/v1/events',
      headers,
      body,
    });

    // 1. Batches of 100 events: ours, alternating with a bare kafkajs producer at 100 records/send and at
    //    the size our adapter merges concurrent requests to; then Kafka's ProducerPerformance once.
    ctx.progress(`ingest 1/3: batches of ${EVENTS_PER_BATCH} events: warm-up …`);
    const before = await topicEnd(env.adapters.kafka, eventsRaw);
    await ingest.reset();
    const warmBatch = await cannon(target(ingest, batchBodies.next), opts.connections, opts.warmupS);
    const warmSends = (await ingest.stats()).extra;
    const merged = Math.max(
      EVENTS_PER_BATCH,
      Math.round(warmSends.sendBatchMessages! / Math.max(1, warmSends.sendBatchCalls!) / 10) * 10,
    );
    const kjs = await kafkajsLoop({
      brokers: kafka.brokers,
      topic: kjsTopic,
      key: records.key,
      values: records.values,
      perSend: EVENTS_PER_BATCH,
    });
    const kjsMerged = await kafkajsLoop({
      brokers: kafka.brokers,
      topic: kjsMergedTopic,
      key: records.key,
      values: records.values,
      perSend: merged,
    });
    ctx.defer('ingest: kafkajs producers', async () => {
      await kjs.close().catch(() => undefined);
      await kjsMerged.close().catch(() => undefined);
    });
    await kjs.run(opts.warmupS);
    await kjsMerged.run(opts.warmupS);
    const addLoop = (a: KafkajsLoopResult | undefined, b: KafkajsLoopResult): KafkajsLoopResult => {
      if (!a) return b;
      const r = { sends: a.sends + b.sends, records: a.records + b.records, durationS: a.durationS + b.durationS };
      return { ...r, recordsPerSec: r.records / r.durationS };
    };
    const batchOurs = new Side<MaxResult>('batches-ours', ingest, addMax);
    const batchKjs = new Side<KafkajsLoopResult>(`batches-kafkajs-${EVENTS_PER_BATCH}`, undefined, addLoop);
    const batchKjsMerged = new Side<KafkajsLoopResult>(`batches-kafkajs-${merged}`, undefined, addLoop);
    for (let r = 1; r <= rounds; r++) {
      ctx.progress(
        `ingest 1/3: round ${r}/${rounds}: ours, bare kafkajs ${EVENTS_PER_BATCH}/send, bare kafkajs ${merged}/send (${slice(opts.durationS).toFixed(1)} s each) …`,
      );
      await measure(batchOurs, () =>
        maxThroughput(target(ingest, batchBodies.next), {
          connections: opts.connections,
          durationS: slice(opts.durationS),
        }),
      );
      await measure(batchKjs, () => kjs.run(slice(opts.durationS)));
      await measure(batchKjsMerged, () => kjsMerged.run(slice(opts.durationS)));
    }
    const batch = batchOurs.result!;
    const landed = (await topicEnd(env.adapters.kafka, eventsRaw)) - before;
    const acknowledged = (batch.ok + warmBatch['2xx']) * EVENTS_PER_BATCH;
    const oursEventsPerSec = batch.okPerSec * EVENTS_PER_BATCH;
    await finish(batchOurs, { count: batch.ok, label: 'request' });
    note(
      `batches-ours: ${fmt.int(batch.ok)} requests answered 202 in ${batch.durationS.toFixed(1)} s${failures(batch)}; ` +
        `ingest server CPU ${fmt.ms(batchOurs.serverCpuMsTotal / Math.max(1, batch.ok))} per request (${fmt.ms((batchOurs.serverCpuMsTotal / Math.max(1, batch.ok) / EVENTS_PER_BATCH) * 1000).replace(' ms', ' µs')} per event); ` +
        `${fmt.int(batchOurs.extra.sendBatchCalls!)} Kafka sendBatch calls (concurrent requests merged; ${merged} events per send in the warm-up); ${serverTimings(batchOurs)}; ` +
        `events_raw grew by ${fmt.int(landed)} records for ${fmt.int(acknowledged)} acknowledged events (warm-up included; requests cut off at the end of a slice may add up to ${opts.connections * EVENTS_PER_BATCH * rounds})`,
    );
    if (landed < acknowledged) note('batches-ours: WARNING: fewer records in Kafka than acknowledged events');
    for (const side of [batchKjs, batchKjsMerged]) {
      await finish(side);
      const r = side.result!;
      note(`${side.name}: ${fmt.int(r.sends)} sends, ${fmt.int(r.records)} records in ${r.durationS.toFixed(1)} s`);
    }
    await kjs.close();
    await kjsMerged.close();

    ctx.progress(
      `ingest 1/3: Kafka ProducerPerformance (${fmt.int(opts.ppWarmupRecords)} warm-up + ${fmt.int(opts.ppRecords)} records) …`,
    );
    let ppRate = NaN;
    try {
      const pp = new Side<Awaited<ReturnType<typeof producerPerformance>>>(
        'batches-producer-performance',
        undefined,
        (_a, b) => b,
      );
      await measure(pp, (track) =>
        producerPerformance({
          brokers: kafka.brokers,
          topic: ppTopic,
          libsDir: kafka.libsDir,
          payloadFile,
          records: opts.ppRecords + opts.ppWarmupRecords,
          warmupRecords: opts.ppWarmupRecords,
          timeoutMs: 60_000,
          props: PP_PROPS,
          onStart: (pid) => track('ProducerPerformance (java)', pid),
        }),
      );
      await finish(pp);
      ppRate = pp.result!.recordsPerSec;
      note(`batches-producer-performance: ${pp.result!.line}`);
      note(
        `batches-producer-performance: command: ${pp.result!.command.replace(kafka.libsDir, '<libs>').replace(payloadFile, '<payloads.txt>')}`,
      );
    } catch (e) {
      note(`batches-producer-performance: failed: ${(e as Error).message}`);
    }

    const oursBatch = trust(batch, `${fmt.int(oursEventsPerSec)} events/s`);
    rows.push({
      benchmark: `events/s, HTTP batches of ${EVENTS_PER_BATCH} → Kafka (acks=all) vs Kafka's Java ProducerPerformance`,
      ours: oursBatch,
      baseline: `${fmt.int(ppRate)} records/s`,
      ratio: fmt.ratio(oursEventsPerSec / ppRate),
      goal: 'reported',
    });
    const kjsRatio = oursEventsPerSec / batchKjs.result!.recordsPerSec;
    rows.push({
      benchmark: `events/s, same, vs bare kafkajs (idempotent, acks=-1, ${EVENTS_PER_BATCH} records/send, 1 in flight)`,
      ours: oursBatch,
      baseline: `${fmt.int(batchKjs.result!.recordsPerSec)} records/s`,
      ratio: fmt.ratio(kjsRatio),
      goal: goal('≥ 0.50', kjsRatio >= 0.5),
      met: kjsRatio >= 0.5,
    });
    const oursUsPerEvent = (1000 * batchOurs.serverCpuMsTotal) / Math.max(1, batch.ok * EVENTS_PER_BATCH);
    const kjsUsPerRecord =
      (1000 * batchKjs.cpuMsOf('load generator (this process)')) / Math.max(1, batchKjs.result!.records);
    rows.push({
      benchmark: `CPU per event, same: the ingest process vs the bare kafkajs process (${EVENTS_PER_BATCH}/send); ratio = baseline/ours`,
      ours: `${oursUsPerEvent.toFixed(1)} µs`,
      baseline: `${kjsUsPerRecord.toFixed(1)} µs`,
      ratio: fmt.ratio(kjsUsPerRecord / oursUsPerEvent),
      goal: 'reported (less sensitive to a busy machine)',
    });
    rows.push({
      benchmark: `events/s, same, vs bare kafkajs with ${merged} records/send (what our adapter merges to)`,
      ours: oursBatch,
      baseline: `${fmt.int(batchKjsMerged.result!.recordsPerSec)} records/s`,
      ratio: fmt.ratio(oursEventsPerSec / batchKjsMerged.result!.recordsPerSec),
      goal: 'reported',
    });

    // 2. Single-event requests: ours alternating with a bare node:http server, same load generator.
    ctx.progress('ingest 2/3: single-event requests: warm-up …');
    await cannon(target(ingest, singleBodies.next), opts.connections, opts.warmupS);
    await cannon(target(bare, singleBodies.next), opts.connections, opts.warmupS);
    const singleOurs = new Side<MaxResult>('single-ours', ingest, addMax);
    const singleBare = new Side<MaxResult>('single-bare', bare, addMax);
    for (let r = 1; r <= rounds; r++) {
      ctx.progress(
        `ingest 2/3: round ${r}/${rounds}: ours, bare node:http (${slice(opts.durationS).toFixed(1)} s each) …`,
      );
      await measure(singleOurs, () =>
        maxThroughput(target(ingest, singleBodies.next), {
          connections: opts.connections,
          durationS: slice(opts.durationS),
        }),
      );
      await measure(singleBare, () =>
        maxThroughput(target(bare, singleBodies.next), {
          connections: opts.connections,
          durationS: slice(opts.durationS),
        }),
      );
    }
    const single = singleOurs.result!;
    const bareSingle = singleBare.result!;
    await finish(singleOurs, { count: single.ok, label: 'request' });
    await finish(singleBare, { count: bareSingle.ok, label: 'request' });
    note(
      `single-ours: ${fmt.int(single.ok)} requests answered 202 in ${single.durationS.toFixed(1)} s${failures(single)}; ` +
        `ingest server CPU ${fmt.ms(singleOurs.serverCpuMsTotal / Math.max(1, single.ok))} per request; ${serverTimings(singleOurs)}`,
    );
    note(
      `single-bare: ${fmt.int(bareSingle.ok)} requests answered 202 in ${bareSingle.durationS.toFixed(1)} s${failures(bareSingle)}; ` +
        `bare server CPU ${fmt.ms(singleBare.serverCpuMsTotal / Math.max(1, bareSingle.ok))} per request`,
    );
    const singleRatio = single.okPerSec / bareSingle.okPerSec;
    rows.push({
      benchmark: `single-event requests/s (${opts.connections} connections) vs bare node:http (read body, 202, no work)`,
      ours: trust(single, `${fmt.int(single.okPerSec)} req/s`),
      baseline: trust(bareSingle, `${fmt.int(bareSingle.okPerSec)} req/s`),
      ratio: fmt.ratio(singleRatio),
      goal: goal('≥ 0.30', singleRatio >= 0.3),
      met: singleRatio >= 0.3,
    });

    const oursUsPerReq = (1000 * singleOurs.serverCpuMsTotal) / Math.max(1, single.ok);
    const bareUsPerReq = (1000 * singleBare.serverCpuMsTotal) / Math.max(1, bareSingle.ok);
    rows.push({
      benchmark: 'CPU per single-event request: the ingest process vs the bare server process; ratio = baseline/ours',
      ours: `${oursUsPerReq.toFixed(0)} µs`,
      baseline: `${bareUsPerReq.toFixed(0)} µs`,
      ratio: fmt.ratio(bareUsPerReq / oursUsPerReq),
      goal: 'reported (less sensitive to a busy machine)',
    });

    // 3. Latency at half of our measured maximum, open loop; the bare server at the same rate, alternating.
    const rate = Math.max(1, Math.round(single.okPerSec / 2));
    const latOurs = new Side<PacedResult>('latency-ours', ingest, addPaced);
    const latBare = new Side<PacedResult>('latency-bare', bare, addPaced);
    for (let r = 1; r <= rounds; r++) {
      ctx.progress(
        `ingest 3/3: round ${r}/${rounds}: latency at ${fmt.int(rate)} req/s (half our max), ours, bare (${slice(opts.latencyS).toFixed(1)} s each) …`,
      );
      await measure(latOurs, () =>
        pacedLatency(target(ingest, singleBodies.next), {
          rate,
          connections: opts.connections,
          durationS: slice(opts.latencyS),
        }),
      );
      await measure(latBare, () =>
        pacedLatency(target(bare, singleBodies.next), {
          rate,
          connections: opts.connections,
          durationS: slice(opts.latencyS),
        }),
      );
    }
    await finish(latOurs, { count: latOurs.result!.ok, label: 'request' });
    await finish(latBare, { count: latBare.result!.ok, label: 'request' });
    const lat = latOurs.result!;
    const latB = latBare.result!;
    for (const [name, r] of [
      ['latency-ours', lat],
      ['latency-bare', latB],
    ] as const) {
      note(
        `${name}: ${fmt.int(r.ok)} ok, ${r.failed} failed, ${r.dropped} never sent; p50 ${fmt.ms(r.p50)}, p90 ${fmt.ms(r.p90)}, p99 ${fmt.ms(r.p99)}, max ${fmt.ms(r.max)}`,
      );
    }
    note(
      `latency-ours: ingest server CPU ${fmt.ms(latOurs.serverCpuMsTotal / Math.max(1, lat.ok))} per request; ${serverTimings(latOurs)}`,
    );
    note(`latency-bare: event-loop delay p99 ${fmt.ms(latBare.loopDelayP99Ms)}, max ${fmt.ms(latBare.loopDelayMaxMs)}`);
    const latFlag = (r: PacedResult, v: string) => (r.failed + r.dropped > 0.01 * r.sent ? `${v} (!)` : v);
    rows.push({
      benchmark: `p50 latency, single events at ${fmt.int(rate)} req/s (half our max), open loop`,
      ours: latFlag(lat, fmt.ms(lat.p50)),
      baseline: latFlag(latB, fmt.ms(latB.p50)),
      ratio: fmt.ratio(lat.p50 / latB.p50),
      goal: 'reported',
    });
    const p99Ratio = lat.p99 / latB.p99;
    rows.push({
      benchmark: 'p99 latency, same (the bare server at the same rate)',
      ours: latFlag(lat, fmt.ms(lat.p99)),
      baseline: latFlag(latB, fmt.ms(latB.p99)),
      ratio: fmt.ratio(p99Ratio),
      goal: goal('≤ 5', p99Ratio <= 5),
      met: p99Ratio <= 5,
    });

    const peak = (await ingest.stats()).peakRssBytes;
    const barePeak = (await bare.stats()).peakRssBytes;
    rows.push({
      benchmark: 'peak RSS of the ingest process over the whole run (baseline: the bare server)',
      ours: fmt.mb(peak),
      baseline: fmt.mb(barePeak),
      ratio: '—',
      goal: goal('≤ 300 MB', peak <= RSS_GOAL_BYTES),
      met: peak <= RSS_GOAL_BYTES,
    });
    return { rows, details };
  },
};
