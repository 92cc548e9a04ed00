// The aggregate benchmark: events_raw → the local runtime's aggregate consumer group and handler → Postgres and
// Redis, against a plain kafkajs consumer on the same topic; ack → visible in GET /v1/metrics at half the
// measured max ingest rate, against bare Kafka produce→consume; GET /v1/metrics over a day of 1m buckets of a
// tenant with `--events` raw events seeded in Postgres (its rollups computed by rebuildRange, which gives the
// rebuild rate), against bare Redis and Postgres reads of the same buckets; the same throughput with two declared
// dimensions per event type, a second rebuild with a 1 000-value dimension, and breakdown and percentile reads of the
// seeded day against the plain read. All in one run, on one machine (docs/benchmarks.md#the-aggregate-benchmark).
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import * as path from 'node:path';
import type { Adapters } from '../../adapters';
import { rollupCacheKey } from '../../adapters/redis/rollup-cache';
import { rebuildRange } from '../../functions/maintenance/rebuild';
import { startChild } from './child';
import { benchEnv, createBenchEnv, PARTITIONS, putCatalog } from './bench-env';
import { bodyFactory } from './events';
import { cannon, maxThroughput, pacedLatency, summarizeLatency, type LoadTarget } from './load';
import {
  drainGroup,
  groupCommitted,
  plainConsumerRate,
  prefillTopic,
  produceConsumeLatency,
  topicEnd,
  type ReadRate,
} from './aggregate-kafka';
import { diskUse, seedRawEvents } from './seed';
import { formatProfile, summarizeProfile } from './profile';
import { describePhase, phaseMeter, type CpuShare, type PhaseCpu } from './sys';
import { fmt, goal, recorder, type Benchmark, type BenchContext, type BenchResult, type Row } from './context';
import { percentile } from './stats';

const TENANTS = 6;
const MINUTE = 60_000;
const DAY = 86_400_000;
const PROBE_EVERY_MS = 50;
const POLL_EVERY_MS = 10;
// The breakdown and percentile rows: at most this long each (after 5 requests), whatever --quick or the defaults ask.
const READ_BUDGET_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stats = (xs: number[]) =>
  summarizeLatency(0, { sent: xs.length, ok: xs.length, failed: 0, dropped: 0, latencies: xs });

async function unlinkTenantKeys(adapters: Adapters, tenantId: string, kind = '*'): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await adapters.redis.scan(cursor, 'MATCH', `{${tenantId}}:${kind}`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await adapters.redis.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * Times `n` sequential calls of `fn` (after `prepare`, untimed) in ms, sorted. With `budgetMs`, stops early once the
 * calls took that long in all (at least 5 calls), so a slow path cannot stretch the run without bound.
 */
/**
 * GET over keep-alive node:http, the body as text: the read rows' client (undici's fetch cost the bench ~1.5 ms of CPU
 * per 1440-point answer, on the two cores the server under test shares).
 */
function httpGet(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function timeCalls(
  n: number,
  fn: () => Promise<void | (() => void)>,
  prepare?: () => Promise<void>,
  budgetMs = Infinity,
): Promise<number[]> {
  const out: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n && (i < 5 || performance.now() - start < budgetMs); i++) {
    if (prepare) await prepare();
    const t0 = performance.now();
    const after = await fn();
    out.push(performance.now() - t0);
    after?.(); // a read's checks of its answer, off the clock
  }
  return out.sort((a, b) => a - b);
}

export const aggregateBenchmark: Benchmark = {
  name: 'aggregate',
  title:
    'events_raw → aggregate → Postgres + Redis (± dimensions); ack → visible; GET /v1/metrics over a day (plain, breakdown, p95); rebuild',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { opts } = ctx;
    const { rows, details, note } = recorder(ctx);
    const kafka = await ctx.kafka();

    ctx.progress('aggregate: creating a database, topics and tenants …');
    const latencyTopic = `bench_lat_${randomBytes(4).toString('hex')}`;
    const tenantIds: string[] = [];
    const env = await createBenchEnv(ctx, kafka, 'bench', {
      extraTopics: [{ topic: latencyTopic, numPartitions: 1, retentionMs: 3_600_000 }],
      // A rebuilt day is ~250 000 Redis keys per tenant: too many for the harness's one DEL; scanned away in chunks.
      cleanup: async () => {
        for (const id of tenantIds) await unlinkTenantKeys(env.adapters, id).catch(() => undefined);
      },
    });
    const tenants = [];
    const newTenant = async () => {
      const t = await env.createTenant();
      tenantIds.push(t.id);
      return t;
    };
    for (let i = 0; i < TENANTS; i++) tenants.push(await newTenant());
    const eventsRaw = env.config.kafka.topics.eventsRaw;
    const group = env.config.kafka.groups.aggregate;
    const runTag = `bench-${randomBytes(4).toString('hex')}`;
    const meter = (extra: Record<string, number> = {}) =>
      phaseMeter({ broker: kafka.pid, 'bench (this process)': process.pid, ...extra });
    const finishCpu = (phase: string, r: PhaseCpu) => {
      ctx.contention(`aggregate ${phase}`, r.contention);
      note(`${phase}: ${describePhase(r)}`);
      return r.cpu;
    };

    // 1. Throughput of the aggregate path over a pre-filled events_raw, against a plain kafkajs consumer.
    const n = opts.topicEvents;
    ctx.progress(`aggregate 1/4: pre-filling ${eventsRaw} with ${fmt.int(n)} events of ${TENANTS} tenants …`);
    const fill = await prefillTopic({
      brokers: kafka.brokers,
      topic: eventsRaw,
      tenants: tenants.map((t) => ({ id: t.id, projectId: t.project.id })),
      count: n,
      spreadMs: 10 * MINUTE,
      runTag,
    });
    const filled = await topicEnd(env.adapters.kafka, eventsRaw);
    note(
      `throughput: ${fmt.int(filled)} records of ~${fill.avgBytes} bytes in ${eventsRaw} (${PARTITIONS} partitions, keyed by tenant id, ${TENANTS} tenants), written in ${fill.seconds.toFixed(1)} s; ` +
        `events of 4 types with user ids (~90 000) and numeric properties (amount, items), timestamps over the last 10 min (each event touches 5 intervals × count, 4 sums/n, 1 sketch)`,
    );
    const plain: ReadRate[] = [];
    const plainRun = async (label: string) => {
      ctx.progress(`aggregate 1/4: plain kafkajs consumer reading ${fmt.int(filled)} records (${label}) …`);
      const m = meter();
      const r = await plainConsumerRate({
        brokers: kafka.brokers,
        topic: eventsRaw,
        count: filled,
        timeoutMs: 120_000,
      });
      finishCpu(`throughput-plain-consumer-${label}`, m.stop());
      note(
        `throughput-plain-consumer-${label}: ${fmt.int(r.records)} records in ${r.seconds.toFixed(2)} s after its first batch: ${fmt.int(r.recordsPerSec)} records/s`,
      );
      plain.push(r);
    };
    await plainRun('before');

    ctx.progress('aggregate 1/4: starting the local runtime (HTTP + aggregate consumer group) in a child process …');
    const childEnv = benchEnv(env, kafka);
    const t0 = performance.now();
    let server = await startChild(
      path.join(__dirname, 'aggregate-server.ts'),
      childEnv,
      path.join(ctx.tmpDir, 'aggregate-server.log'),
    );
    ctx.defer('aggregate: local runtime', () => server.stop());
    if (ctx.profileDir) await server.profileStart();
    const aggMeter = meter({ 'local runtime': server.pid });
    const drained = await drainGroup(env.adapters.kafka, {
      group,
      topic: eventsRaw,
      from: 0,
      until: filled,
      timeoutMs: 600_000,
      what: 'the aggregate consumer group',
    });
    const { firstAt, firstCommitted, doneAt } = drained;
    const aggStop = aggMeter.stop();
    const aggCpu = finishCpu('throughput-aggregate', aggStop);
    if (ctx.profileDir) {
      const file = path.join(ctx.profileDir, 'aggregate-throughput.cpuprofile');
      await server.profileStop(file);
      note(
        `throughput-aggregate: CPU profile ${file} (from the start of the process)\n${formatProfile(summarizeProfile(file, 15), 'throughput-aggregate', { count: filled, label: 'event' })}`,
      );
    }
    const aggRate = drained.rate;
    const [stored] = await env.adapters.sql<{ n: string }[]>`select count(*)::text as n from events`;
    note(
      `throughput-aggregate: group joined and first commit ${((firstAt - t0) / 1000).toFixed(1)} s after the process started (${fmt.int(firstCommitted)} records); ` +
        `then ${fmt.int(filled - firstCommitted)} records in ${((doneAt - firstAt) / 1000).toFixed(2)} s: ${fmt.int(aggRate)} events/s (offsets polled every 100 ms); ` +
        `local runtime CPU ${fmt.ms(((aggCpu.cores['local runtime']! * aggCpu.wallMs) / Math.max(1, filled)) * 1000).replace(' ms', ' µs')} per event; ` +
        `${fmt.int(Number(stored!.n))} rows in events (expected ${fmt.int(filled)}); batch size ${env.config.aggregateBatchSize}, 3 partitions processed concurrently`,
    );
    await plainRun('after');
    const plainRate = plain.reduce((s, r) => s + r.recordsPerSec, 0) / plain.length;
    const tputRatio = aggRate / plainRate;
    rows.push({
      benchmark: `events/s through the aggregate consumer group + handler (Postgres + Redis) of ${fmt.int(filled)} events of ${TENANTS} tenants vs a plain kafkajs consumer reading the same topic`,
      ours: `${fmt.int(aggRate)} events/s`,
      baseline: `${fmt.int(plainRate)} records/s`,
      ratio: fmt.ratio(tputRatio),
      goal: goal('≥ 0.30', tputRatio >= 0.3),
      met: tputRatio >= 0.3,
    });

    // 1b. The same throughput with two declared dimensions per event type (docs/api.md#dimensions): six fresh tenants
    // whose 4 event types each declare `path` and `country` (through PUT /v1/catalog on the running runtime), a second
    // batch of the same sample events for them, and a fresh runtime process on the same group (so the batch waits
    // in the topic as in phase 1). Percentile sketches are maintained in both runs: every top-level numeric property
    // (`amount`, `items`) gets one per bucket, declared or not, so the plain run above already includes them.
    const DIMS = ['path', 'country'];
    const dimTenants = [];
    for (let i = 0; i < TENANTS; i++) dimTenants.push(await newTenant());
    for (const t of dimTenants)
      for (const type of ['page_view', 'signup', 'checkout_started', 'checkout_failed'])
        await putCatalog(server.url, t, type, { dimensions: DIMS });
    await server.stop();
    const n2 = n;
    ctx.progress(
      `aggregate 1/4: pre-filling ${eventsRaw} with ${fmt.int(n2)} more events of ${TENANTS} tenants with dimensions ${DIMS.join(', ')} …`,
    );
    await prefillTopic({
      brokers: kafka.brokers,
      topic: eventsRaw,
      tenants: dimTenants.map((t) => ({ id: t.id, projectId: t.project.id })),
      count: n2,
      spreadMs: 10 * MINUTE,
      runTag: `${runTag}-d`,
    });
    const filled2 = await topicEnd(env.adapters.kafka, eventsRaw);
    ctx.progress('aggregate 1/4: restarting the local runtime for the run with dimensions …');
    const t2 = performance.now();
    server = await startChild(
      path.join(__dirname, 'aggregate-server.ts'),
      childEnv,
      path.join(ctx.tmpDir, 'aggregate-server-dims.log'),
    );
    const server2 = server;
    ctx.defer('aggregate: local runtime (dimensions run)', () => server2.stop());
    const dimMeter = meter({ 'local runtime': server.pid });
    const dimDrained = await drainGroup(env.adapters.kafka, {
      group,
      topic: eventsRaw,
      from: filled,
      until: filled2,
      timeoutMs: 600_000,
      what: 'the aggregate consumer group (second batch)',
    });
    const { firstAt: dFirstAt, firstCommitted: dFirstCommitted, doneAt: dDoneAt } = dimDrained;
    const dimStop = dimMeter.stop();
    const dimCpu = finishCpu('throughput-aggregate-dimensions', dimStop);
    const dimRate = dimDrained.rate;
    const cpuPerEventUs = (c: CpuShare, events: number) =>
      ((c.cores['local runtime']! * c.wallMs) / Math.max(1, events)) * 1000;
    const plainCpuUs = cpuPerEventUs(aggCpu, filled);
    const dimCpuUs = cpuPerEventUs(dimCpu, filled2 - filled);
    const wallCostUs = (1 / dimRate - 1 / aggRate) * 1e6;
    const [dimRows] = await env.adapters.sql<{ n: string }[]>`
      select count(*)::text as n from dimension_cells where dimension_id in (
        select id from event_dimensions where tenant_id = any(${env.adapters.sql.array(dimTenants.map((t) => t.id))}::uuid[]))`;
    note(
      `throughput-aggregate-dimensions: ${fmt.int(filled2 - filled)} more records (same sample events) of ${TENANTS} other tenants, each of their 4 event types with the dimensions ${DIMS.join(' and ')} (6 values each); ` +
        `group rejoined and first commit ${((dFirstAt - t2) / 1000).toFixed(1)} s after the new process started; then ${fmt.int(filled2 - dFirstCommitted)} records in ${((dDoneAt - dFirstAt) / 1000).toFixed(2)} s: ${fmt.int(dimRate)} events/s; ` +
        `local runtime CPU ${plainCpuUs.toFixed(0)} µs per event plain, ${dimCpuUs.toFixed(0)} µs with the dimensions (${(dimCpuUs - plainCpuUs).toFixed(0)} µs more); ` +
        `wall time per event ${(1e6 / aggRate).toFixed(0)} µs plain, ${(1e6 / dimRate).toFixed(0)} µs with the dimensions (${wallCostUs.toFixed(0)} µs more); ${fmt.int(Number(dimRows!.n))} dimension rollup rows written. ` +
        `Percentile sketches (amount, items) are maintained in BOTH runs: every top-level numeric property has them, declared or not`,
    );
    const dimRatio = dimRate / aggRate;
    rows.push({
      benchmark: `events/s through the aggregate consumer group + handler with 2 declared dimensions per event type (path, country; sketches of amount and items as always) of ${fmt.int(filled2 - filled)} events of ${TENANTS} tenants; baseline: the plain run above (its sketches included); cost ${wallCostUs.toFixed(0)} µs wall, ${(dimCpuUs - plainCpuUs).toFixed(0)} µs runtime CPU per event`,
      ours: `${fmt.int(dimRate)} events/s`,
      baseline: `${fmt.int(aggRate)} events/s`,
      ratio: fmt.ratio(dimRatio),
      goal: 'reported',
    });

    // 2. ack → visible at half the max ingest rate, aggregate consumer running in the same process.
    const tenant = tenants[0]!;
    const ingestHeaders = { 'content-type': 'application/json', authorization: `Bearer ${tenant.keys.ingest}` };
    const singles = bodyFactory(1, `${runTag}-s`);
    const target: LoadTarget = { url: server.url, path: '/v1/events', headers: ingestHeaders, body: singles.next };
    ctx.progress(
      `aggregate 2/4: max single-event ingest rate (${opts.warmupS} s warm-up, ${opts.durationS / 2} s measured) …`,
    );
    await cannon(target, opts.connections, opts.warmupS);
    const maxM = meter({ 'local runtime': server.pid });
    const max = await maxThroughput(target, { connections: opts.connections, durationS: opts.durationS / 2 });
    finishCpu('visible-max-ingest', maxM.stop());
    const rate = Math.max(1, Math.round(max.okPerSec / 2));
    note(
      `visible-max-ingest: ${fmt.int(max.okPerSec)} single-event requests/s answered 202 (${opts.connections} connections; ${max.non2xx + max.errors} failed) with the aggregate consumer running in the same process`,
    );
    const catchUp = async () => {
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
        if (
          (await groupCommitted(env.adapters.kafka, group, eventsRaw)) >=
          (await topicEnd(env.adapters.kafka, eventsRaw))
        )
          return;
      }
      throw new Error('the aggregate consumer did not catch up within 2 min');
    };
    ctx.progress('aggregate 2/4: waiting for the aggregate consumer to catch up …');
    const catchT0 = performance.now();
    await catchUp();
    note(
      `visible-max-ingest: the consumer caught up ${((performance.now() - catchT0) / 1000).toFixed(1)} s after the load stopped`,
    );

    ctx.progress(
      `aggregate 2/4: ${fmt.int(rate)} req/s (half the max) for ${opts.latencyS} s, a probe event every ${PROBE_EVERY_MS} ms, GET /v1/metrics polled every ${POLL_EVERY_MS} ms …`,
    );
    const probeStart = Date.now();
    const fromMs = Math.floor(probeStart / 10_000) * 10_000 - 10_000;
    const metricsUrl = (eventType: string, interval: string, from: number, to: number) =>
      `${server.url}/v1/metrics?event_type=${eventType}&metric=count&interval=${interval}&from=${from}&to=${to}`;
    const probeUrl = metricsUrl('bench_probe', '10s', fromMs, fromMs + (opts.latencyS + 120) * 1000);
    const readHeaders = { authorization: `Bearer ${tenant.keys.read}` };
    const ackAt: number[] = [];
    const ackMs: number[] = [];
    const visibleAt: number[] = [];
    let probesSent = 0;
    let probesDone = false;
    let polls = 0;
    const poller = (async () => {
      for (
        const deadline = Date.now() + (opts.latencyS + 40) * 1000;
        Date.now() < deadline;
        await sleep(POLL_EVERY_MS)
      ) {
        const res = await fetch(probeUrl, { headers: readHeaders });
        const body = (await res.json()) as { points?: { value: number }[] };
        const at = performance.now();
        polls++;
        const count = (body.points ?? []).reduce((s, p) => s + p.value, 0);
        for (let k = visibleAt.length; k < Math.min(count, probesSent); k++) visibleAt.push(at);
        if (probesDone && visibleAt.length >= probesSent) return;
      }
    })();
    const prober = (async () => {
      const end = performance.now() + opts.latencyS * 1000;
      for (let k = 0; performance.now() < end; k++) {
        const next = performance.now() + PROBE_EVERY_MS;
        const body = JSON.stringify({
          event_id: `${runTag}-probe-${k}`,
          event_type: 'bench_probe',
          project: 'web',
          user_id: 'probe',
          properties: { k },
        });
        const sent = performance.now();
        probesSent++;
        const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: ingestHeaders, body });
        const answer = await res.text();
        if (res.status !== 202) throw new Error(`probe ${k} answered ${res.status}: ${answer.slice(0, 300)}`);
        ackAt.push(performance.now());
        ackMs.push(performance.now() - sent);
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
      }
      probesDone = true;
    })();
    const visM = meter({ 'local runtime': server.pid });
    const [load] = await Promise.all([
      pacedLatency(target, { rate, connections: opts.connections, durationS: opts.latencyS }),
      prober,
      poller,
    ]);
    finishCpu('visible', visM.stop());
    const visible = stats(visibleAt.map((v, k) => Math.max(0, v - ackAt[k]!)));
    const acks = stats(ackMs);
    note(
      `visible: ${visible.ok} of ${probesSent} probe events seen in GET /v1/metrics (count, 10s buckets; ${polls} polls); 202 → visible p50 ${fmt.ms(visible.p50)}, p90 ${fmt.ms(visible.p90)}, p99 ${fmt.ms(visible.p99)}, max ${fmt.ms(visible.max)} ` +
        `(poll resolution ~${POLL_EVERY_MS} ms + one GET); the probes' own POST → 202 p50 ${fmt.ms(acks.p50)}, p99 ${fmt.ms(acks.p99)}`,
    );
    note(
      `visible: background load ${fmt.int(rate)} single-event req/s: ${fmt.int(load.ok)} ok, ${load.failed} failed, ${load.dropped} never sent; p50 ${fmt.ms(load.p50)}, p99 ${fmt.ms(load.p99)}`,
    );
    ctx.progress(
      `aggregate 2/4: bare kafkajs produce (acks=all) → consume latency, a record every ${PROBE_EVERY_MS} ms for ${opts.latencyS} s …`,
    );
    const bare = stats(
      await produceConsumeLatency({
        brokers: kafka.brokers,
        topic: latencyTopic,
        seconds: opts.latencyS,
        everyMs: PROBE_EVERY_MS,
      }),
    );
    note(
      `visible-bare-kafka: ${bare.ok} records; producer ack → consumer receipt p50 ${fmt.ms(bare.p50)}, p99 ${fmt.ms(bare.p99)}, max ${fmt.ms(bare.max)} (consumer maxWaitTimeInMs 100 as the aggregate group; no other load)`,
    );
    const allSeen = visible.ok === probesSent;
    rows.push({
      benchmark: `ack → visible: 202 of POST /v1/events → included in GET /v1/metrics (count, 10s), p50, at ${fmt.int(rate)} events/s (half the max); baseline: bare Kafka ack → consume`,
      ours: allSeen ? fmt.ms(visible.p50) : `${fmt.ms(visible.p50)} (!)`,
      baseline: fmt.ms(bare.p50),
      ratio: fmt.ratio(visible.p50 / bare.p50),
      goal: 'reported',
    });
    const visMet = allSeen && visible.p99 <= 1000;
    rows.push({
      benchmark: 'ack → visible, same, p99',
      ours: allSeen ? fmt.ms(visible.p99) : `${fmt.ms(visible.p99)} (${probesSent - visible.ok} never seen)`,
      baseline: fmt.ms(bare.p99),
      ratio: fmt.ratio(visible.p99 / bare.p99),
      goal: goal('≤ 1 s', visMet),
      met: visMet,
    });

    // 3./4. A tenant with `seedEvents` raw events over the last 24 h, seeded in Postgres; rollups by rebuildRange.
    const big = await newTenant();
    const nowMs = Date.now();
    const toMinute = Math.floor(nowMs / MINUTE) * MINUTE;
    const seedFrom = toMinute - DAY;
    const diskBefore = await diskUse(env.adapters.sql);
    ctx.progress(
      `aggregate 3/4: seeding ${fmt.int(opts.seedEvents)} raw events over 24 h in Postgres (generate_series) …`,
    );
    let lastShown = 0;
    const seedM = meter();
    const seedS = await seedRawEvents(env.adapters.sql, env.adapters.partitions, {
      tenantId: big.id,
      projectId: big.project.id,
      count: opts.seedEvents,
      fromMs: seedFrom,
      toMs: toMinute,
      progress: (done) => {
        if (done - lastShown >= 2_000_000 || done === opts.seedEvents) {
          lastShown = done;
          ctx.progress(`aggregate 3/4:   ${fmt.int(done)} seeded`);
        }
      },
    });
    finishCpu('seed', seedM.stop());
    const diskRaw = await diskUse(env.adapters.sql);
    note(
      `seed: ${fmt.int(opts.seedEvents)} events (events + event_ids rows) in ${seedS.toFixed(1)} s (${fmt.int(opts.seedEvents / seedS)}/s), one every ${((DAY / opts.seedEvents) * 1000).toFixed(0)} µs over 24 h, 4 types (half page_view), 90 000 users, 7 properties (2 numeric; sku of 1 000 values, a dimension of page_view)`,
    );

    ctx.progress(
      'aggregate 4/4: rebuildRange over the seeded day (computes every rollup and sketch from the raw rows) …',
    );
    const rbM = meter();
    const rbT0 = performance.now();
    const summary = await rebuildRange(env.adapters, { fromMs: seedFrom, tenantId: big.id });
    const rbS = (performance.now() - rbT0) / 1000;
    finishCpu('rebuild', rbM.stop());
    const rbRate = summary.events / rbS;
    const scan = await timeCalls(2, async () => {
      await env.adapters
        .sql`select count(*) from events where tenant_id = ${big.id} and ts >= ${new Date(seedFrom)} and ts < ${new Date(toMinute)}`;
    });
    const scanRate = opts.seedEvents / (scan[0]! / 1000);
    note(
      `rebuild: ${fmt.int(summary.events)} events, ${summary.days} tenant-days, ${fmt.int(summary.rows)} rollup rows and sketches swapped in (and written to Redis) in ${rbS.toFixed(1)} s; ` +
        `baseline: select count(*) over the same rows ${fmt.ms(scan[0]!)} (best of 2)`,
    );
    const rbMet = rbRate >= 100_000;
    const diskAfter = await diskUse(env.adapters.sql);
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
    const tables = (d: typeof diskAfter) => d.tables.map((t) => `${t.name} ${mb(t.bytes)}`).join(', ');
    note(
      `disk: pg_database_size ${mb(diskBefore.database)} empty (after migrations and the throughput rows), ${mb(diskRaw.database)} with the raw events, ${mb(diskAfter.database)} with their rollups; ` +
        `the seeded tenant's day needs ${mb(diskAfter.database - diskBefore.database)} (${((diskAfter.database - diskBefore.database) / opts.seedEvents).toFixed(0)} bytes per event); tables now: ${tables(diskAfter)}`,
    );

    // The breakdown row's dimension: `sku` (1 000 values) of page_view, declared BEFORE a second rebuild, so that
    // this rebuild also builds its rollups and moves its complete_from back to the rebuilt range's first day
    // (extendDimensionCoverage; docs/api.md#breakdowns), which breakdowns of the seeded day then read. The first
    // rebuild (the rebuild row) ran without it, so that row stays comparable with runs before dimensions existed;
    // the second gives the dimension's rebuild cost.
    await putCatalog(server.url, big, 'page_view', { dimensions: ['sku'] });
    ctx.progress('aggregate 4/4: rebuildRange again, with the dimension sku (1 000 values) of page_view declared …');
    const rb2M = meter();
    const rb2T0 = performance.now();
    const summary2 = await rebuildRange(env.adapters, { fromMs: seedFrom, tenantId: big.id });
    const rb2S = (performance.now() - rb2T0) / 1000;
    finishCpu('rebuild-dimension', rb2M.stop());
    const diskDim = await diskUse(env.adapters.sql);
    const rb2Rate = summary2.events / rb2S;
    note(
      `rebuild-dimension: the same ${fmt.int(summary2.events)} events rebuilt again with sku declared on page_view (half the events) in ${rb2S.toFixed(1)} s (${fmt.int(rb2Rate)} events/s; ${(rb2S - rbS).toFixed(1)} s more than without); ` +
        `pg_database_size ${mb(diskDim.database)} (${mb(diskDim.database - diskAfter.database)} more); tables now: ${tables(diskDim)}`,
    );
    const rebuildDimRow: Row = {
      benchmark: `rebuild with a declared dimension of 1 000 values (sku of page_view, half the events): events/s of rebuildRange over the same day, which also builds the dimension's rollups; baseline: the rebuild row above (no dimension)`,
      ours: `${fmt.int(rb2Rate)} events/s`,
      baseline: `${fmt.int(rbRate)} events/s`,
      ratio: fmt.ratio(rb2Rate / rbRate),
      goal: 'reported',
    };
    // What autovacuum's ANALYZE does on a deployed database shortly after bulk writes like these rebuilds: this
    // machine's Postgres runs with autovacuum off (a CI setting), which left the rebuilt tables without statistics, and
    // the reads below were timed on plans for empty tables (the breakdown's parts query ran 10× longer, a nested loop
    // over a CTE instead of a hash join; docs/benchmarks.md#the-aggregate-benchmark).
    const anT0 = performance.now();
    await env.adapters.sql`analyze`;
    note(
      `analyze: the bench database's statistics refreshed in ${fmt.ms(performance.now() - anT0)} before the reads (autovacuum is off on this machine; on by default elsewhere)`,
    );

    // GET /v1/metrics, 24 h of 1m buckets of one event type: Redis warm (after rebuild wrote it) and cold.
    const q = metricsUrl('page_view', '1m', seedFrom, toMinute);
    const bigHeaders = { authorization: `Bearer ${big.keys.read}` };
    const readAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    ctx.defer('aggregate: read client', async () => readAgent.destroy());
    let points = 0;
    let total = 0;
    // Timed from the request to its whole body received; the body is parsed and checked after the clock stops.
    const get = async () => {
      const res = await httpGet(readAgent, q, bigHeaders);
      const text = res.text;
      return () => {
        const body = JSON.parse(text) as { points?: { value: number }[] };
        if (res.status !== 200) throw new Error(`GET /v1/metrics answered ${res.status}: ${text.slice(0, 300)}`);
        points = body.points!.length;
        total = body.points!.reduce((s, p) => s + p.value, 0);
      };
    };
    // The pages (Redis hashes of 60 buckets) that hold the day's 1440 buckets.
    const pageKeys = Array.from({ length: 1440 }, (_, i) =>
      rollupCacheKey({
        tenantId: big.id,
        projectId: big.project.id,
        eventType: 'page_view',
        metric: 'count',
        interval: '1m',
        bucketMs: seedFrom + i * MINUTE,
      }),
    );
    const keys = [...new Set(pageKeys)];
    const redis = env.adapters.redis;
    const nq = opts.queryRequests;
    ctx.progress(
      `aggregate 3/4: GET /v1/metrics (24 h of 1m buckets), ${nq} requests Redis warm, ${Math.round(nq / 3)} with the series' keys deleted before each …`,
    );
    await timeCalls(10, get);
    if (ctx.profileDir) await server.profileStart();
    const qM = meter({ 'local runtime': server.pid });
    await server.reset();
    const warm = await timeCalls(nq, get);
    const warmStats = await server.stats();
    // Profiled apart: the warm answers, then the cold ones (their refills would hide the warm path's costs).
    const profiled = async (name: string, requests: number) => {
      if (!ctx.profileDir) return;
      const file = path.join(ctx.profileDir, `aggregate-metrics-${name}.cpuprofile`);
      await server.profileStop(file);
      note(
        `metrics: CPU profile of the ${name} requests ${file}\n${formatProfile(summarizeProfile(file, 15), `metrics-${name}`, { count: requests, label: 'request' })}`,
      );
    };
    await profiled('warm', nq);
    // What the read path asks Redis for: every field of the series' pages (adapters/redis/rollup-cache.ts read()).
    const bareRedis = await timeCalls(nq, async () => {
      const p = redis.pipeline();
      for (const k of keys) p.hgetall(k);
      await p.exec();
    });
    if (ctx.profileDir) await server.profileStart();
    const cold = await timeCalls(Math.round(nq / 3), get, async () => void (await redis.unlink(...keys)));
    await profiled('cold', Math.round(nq / 3));
    const bareSql = await timeCalls(Math.round(nq / 3), async () => {
      await env.adapters.sql`
        select bucket_start, value::text, version::text from rollups
        where tenant_id = ${big.id} and project_id = any(${env.adapters.sql.array([big.project.id])}::uuid[]) and event_type = 'page_view'
          and metric = 'count' and interval = '1m' and bucket_start >= ${new Date(seedFrom)} and bucket_start < ${new Date(toMinute)}`;
    });
    finishCpu('metrics', qM.stop());
    (await get())();
    const expected = Math.round(opts.seedEvents / 2);
    note(
      `metrics: ${points} points, total ${fmt.int(total)} page_view events (seeded ${fmt.int(expected)} ± 1); warm p50 ${fmt.ms(percentile(warm, 50))}, p99 ${fmt.ms(percentile(warm, 99))}, max ${fmt.ms(warm[warm.length - 1]!)}; ` +
        `cold (Redis keys of the series deleted, answered from Postgres and refilled) p50 ${fmt.ms(percentile(cold, 50))}, p99 ${fmt.ms(percentile(cold, 99))}; ` +
        `baselines in this process: a bare ioredis pipeline of HGETALL of the same ${keys.length} pages p50 ${fmt.ms(percentile(bareRedis, 50))}, the series' SELECT p50 ${fmt.ms(percentile(bareSql, 50))}; HTTP over one keep-alive node:http connection, sequential, timed to the whole body received (parsed and checked after); ` +
        `the local runtime while answering warm: CPU ${fmt.ms(warmStats.cpuMs / nq)} per request, event-loop delay p99 ${fmt.ms(warmStats.loopDelayP99Ms)}, max ${fmt.ms(warmStats.loopDelayMaxMs)}`,
    );
    if (Math.abs(total - expected) > 1)
      note(`metrics: WARNING: the answer does not add up to the seeded page_view events`);
    const warmP99 = percentile(warm, 99);
    const coldP99 = percentile(cold, 99);
    rows.push({
      benchmark: `GET /v1/metrics, 24 h of 1m buckets (1440 points) of a tenant with ${fmt.int(opts.seedEvents)} stored events, p99, Redis warm; baseline: a bare ioredis pipeline of HGETALL of the same ${keys.length} Redis pages (hashes of 60 buckets)`,
      ours: fmt.ms(warmP99),
      baseline: fmt.ms(percentile(bareRedis, 99)),
      ratio: fmt.ratio(warmP99 / percentile(bareRedis, 99)),
      goal: goal('≤ 10 ms', warmP99 <= 10),
      met: warmP99 <= 20,
    });
    rows.push({
      benchmark:
        "GET /v1/metrics, same, p99, Redis cold (the series' keys deleted before each request: read from Postgres, refilled); baseline: the bare SELECT of the same rollup rows",
      ours: fmt.ms(coldP99),
      baseline: fmt.ms(percentile(bareSql, 99)),
      ratio: fmt.ratio(coldP99 / percentile(bareSql, 99)),
      goal: goal('≤ 40 ms', coldP99 <= 40),
      met: coldP99 <= 20,
    });
    rows.push({
      benchmark: `rebuild: events/s of rebuildRange over the seeded day (${fmt.int(summary.events)} events; all intervals, sums, sketches, Redis refresh); baseline: select count(*) of the same rows`,
      ours: `${fmt.int(rbRate)} events/s`,
      baseline: `${fmt.int(scanRate)} rows/s`,
      ratio: fmt.ratio(rbRate / scanRate),
      goal: goal('≥ 100,000 events/s', rbMet),
      met: rbMet,
    });
    rows.push(rebuildDimRow);
    // Breakdown top 10 by the 1 000-value dimension over the same 24 h of 1m buckets, from the dimension rollups.
    type Series = { value: string; total: number; points: { value: number }[] };
    let bdSource = '';
    let bdSeries: Series[] = [];
    let bdSumOk = true;
    const bdUrl = `${q}&breakdown=sku&limit=10`;
    const breakdownOf = (url: string, points: number) => async () => {
      const res = await httpGet(readAgent, url, bigHeaders);
      const text = res.text;
      return () => {
        const body = JSON.parse(text) as { points?: { value: number }[]; source?: string; series?: Series[] };
        if (res.status !== 200)
          throw new Error(`GET /v1/metrics breakdown answered ${res.status}: ${text.slice(0, 300)}`);
        bdSource = body.source ?? '';
        bdSeries = body.series ?? [];
        bdSumOk =
          body.points!.length === points &&
          body.points!.every((p, i) => bdSeries.reduce((acc, x) => acc + (x.points[i]?.value ?? NaN), 0) === p.value);
      };
    };
    const breakdown = breakdownOf(bdUrl, 1440);
    ctx.progress(`aggregate 3/4: GET /v1/metrics breakdown=sku&limit=10 (24 h of 1m), ${nq} requests …`);
    // Uncached: ranges not read before (the day less its last 1–5 minutes), so neither Redis nor the runtime holds
    // their entry: each request ranks, reads the parts and caches both.
    const bdCold: number[] = [];
    for (let i = 1; i <= 5; i++)
      bdCold.push(
        ...(await timeCalls(
          1,
          breakdownOf(
            `${metricsUrl('page_view', '1m', seedFrom, toMinute - i * MINUTE)}&breakdown=sku&limit=10`,
            1440 - i,
          ),
        )),
      );
    bdCold.sort((a, b) => a - b);
    await timeCalls(2, breakdown);
    if (ctx.profileDir) await server.profileStart();
    const bdM = meter({ 'local runtime': server.pid });
    const bd = await timeCalls(nq, breakdown, undefined, READ_BUDGET_MS);
    finishCpu('breakdown', bdM.stop());
    if (ctx.profileDir) {
      const file = path.join(ctx.profileDir, 'aggregate-breakdown.cpuprofile');
      await server.profileStop(file);
      note(
        `breakdown: CPU profile ${file}\n${formatProfile(summarizeProfile(file, 15), 'breakdown', { count: bd.length, label: 'request' })}`,
      );
    }
    const bdP99 = percentile(bd, 99);
    const bdOk = bdSource === 'rollup' && bdSumOk;
    note(
      `breakdown: ${bd.length} requests${bd.length < nq ? ` (stopped at the ${READ_BUDGET_MS / 1000} s budget)` : ''}; source "${bdSource}", ${bdSeries.length} series (${bdSeries
        .map((x) => x.value)
        .slice(0, 3)
        .join(
          ', ',
        )}, … ${bdSeries.at(-1)?.value ?? ''}), Σ series = points in every bucket: ${bdSumOk ? 'yes' : 'NO'}; ` +
        `p50 ${fmt.ms(percentile(bd, 50))}, p99 ${fmt.ms(bdP99)}, max ${fmt.ms(bd[bd.length - 1]!)} with the ranking and parts cached in Redis (checked against the rollups' versions on every request); ` +
        `uncached (5 ranges not read before, the day less its last 1–5 minutes: ranked from dimension_cells, parts read) p50 ${fmt.ms(percentile(bdCold, 50))}, max ${fmt.ms(bdCold[bdCold.length - 1]!)}; sequential over keep-alive`,
    );
    if (!bdOk)
      note(
        `breakdown: WARNING: expected source "rollup" and the series adding up to points; got "${bdSource}", sums ${bdSumOk ? 'ok' : 'off'}`,
      );
    rows.push({
      benchmark: `GET /v1/metrics breakdown=sku&limit=10 (a dimension of 1 000 values, top 10 + $other), 24 h of 1m of the same tenant, p99, from the dimension rollups; baseline: the plain GET /v1/metrics warm p99 above${bdOk ? '' : ' — WARNING: not source "rollup" or series ≠ points'}`,
      ours: bdOk ? fmt.ms(bdP99) : `${fmt.ms(bdP99)} (!)`,
      baseline: fmt.ms(warmP99),
      ratio: fmt.ratio(bdP99 / warmP99),
      goal: goal('≤ 30 ms', bdOk && bdP99 <= 30),
      met: bdOk && bdP99 <= 30,
    });

    // p95 of `amount` over the same 24 h of 1m, from the stored quantile sketches (their versions read from Postgres on
    // every request, the percentiles of unchanged buckets from Redis).
    let pcPoints = 0;
    let pcNonNull = 0;
    const pcUrl = `${server.url}/v1/metrics?event_type=page_view&metric=p95:amount&interval=1m&from=${seedFrom}&to=${toMinute}`;
    const pct = async () => {
      const res = await httpGet(readAgent, pcUrl, bigHeaders);
      const text = res.text;
      return () => {
        const body = JSON.parse(text) as { points?: { value: number | null }[] };
        if (res.status !== 200) throw new Error(`GET /v1/metrics p95 answered ${res.status}: ${text.slice(0, 300)}`);
        pcPoints = body.points!.length;
        pcNonNull = body.points!.filter((p) => p.value !== null).length;
      };
    };
    ctx.progress(`aggregate 3/4: GET /v1/metrics metric=p95:amount (24 h of 1m), ${nq} requests …`);
    // Uncached: the percentile values' Redis entries deleted before each request (every sketch read and merged).
    const pcCold = await timeCalls(5, pct, () => unlinkTenantKeys(env.adapters, big.id, 'pct:*'));
    await timeCalls(2, pct);
    const pcM = meter({ 'local runtime': server.pid });
    const pc = await timeCalls(nq, pct, undefined, READ_BUDGET_MS);
    finishCpu('percentile', pcM.stop());
    const pcP99 = percentile(pc, 99);
    const pcOk = pcPoints === 1440 && pcNonNull === 1440;
    note(
      `percentile: ${pc.length} requests${pc.length < nq ? ` (stopped at the ${READ_BUDGET_MS / 1000} s budget)` : ''}; ${pcPoints} points, ${pcNonNull} non-null; p50 ${fmt.ms(percentile(pc, 50))}, p99 ${fmt.ms(pcP99)}, max ${fmt.ms(pc[pc.length - 1]!)} with each bucket's percentiles cached in Redis (checked against the sketches' versions read from Postgres on every request); uncached (entries deleted before each of 5 requests: every sketch read from quantile_sketches and merged) p50 ${fmt.ms(percentile(pcCold, 50))}, max ${fmt.ms(pcCold[pcCold.length - 1]!)}`,
    );
    if (!pcOk) note(`percentile: WARNING: expected 1440 non-null points`);
    rows.push({
      benchmark: `GET /v1/metrics metric=p95:amount, 24 h of 1m of the same tenant, p99, from the stored quantile sketches; baseline: the plain GET /v1/metrics warm p99 above${pcOk ? '' : ' — WARNING: points missing or null'}`,
      ours: pcOk ? fmt.ms(pcP99) : `${fmt.ms(pcP99)} (!)`,
      baseline: fmt.ms(warmP99),
      ratio: fmt.ratio(pcP99 / warmP99),
      goal: goal('≤ 30 ms', pcOk && pcP99 <= 30),
      met: pcOk && pcP99 <= 30,
    });

    // The event explorer over the same tenant: filtered pages of 50 rows, the first and the next (cursor) pages.
    const explorerQueries: [string, string][] = [
      // Combinations the seed makes co-occur (its type and country both follow g·7 mod 6, so e.g. checkout_failed is
      // always GB); a combination that never occurs walks every event of the type (seconds at 10 M: see the docs).
      ['event type + property', `event_type=checkout_failed&prop.country=GB&limit=50`],
      ['user', `user_id=user_101234&limit=50`],
      [
        'event type + property, a past hour',
        `event_type=signup&prop.plan=pro&from=${new Date(seedFrom + 3 * 3_600_000).toISOString()}&to=${new Date(seedFrom + 4 * 3_600_000).toISOString()}&limit=50`,
      ],
    ];
    const explorerTimes: number[] = [];
    const perQuery: string[] = [];
    for (const [label, qs] of explorerQueries) {
      let cursor: string | null = null;
      let rowsSeen = 0;
      const page = async () => {
        const res = await fetch(
          `${server.url}/v1/events?${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          { headers: bigHeaders },
        );
        const body = (await res.json()) as { events?: unknown[]; next_cursor?: string | null };
        if (res.status !== 200)
          throw new Error(`GET /v1/events answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        rowsSeen = body.events!.length;
        // Walk forward a few pages, then start again from the first page.
        cursor = body.next_cursor && Math.random() < 0.8 ? body.next_cursor : null;
      };
      await timeCalls(5, page);
      const t = await timeCalls(Math.max(30, Math.round(nq / 2)), page);
      explorerTimes.push(...t);
      perQuery.push(
        `${label}: p50 ${fmt.ms(percentile(t, 50))}, p99 ${fmt.ms(percentile(t, 99))} (${rowsSeen} rows on the last page)`,
      );
    }
    explorerTimes.sort((a, b) => a - b);
    const exP99 = percentile(explorerTimes, 99);
    note(
      `explorer: ${perQuery.join('; ')}; the first page and following cursor pages mixed, sequential over keep-alive`,
    );
    rows.push({
      benchmark: `GET /v1/events, filtered pages of 50 rows (event type + property, user, a past hour) over ${fmt.int(opts.seedEvents)} stored events, p99; baseline: GET /v1/metrics warm p99`,
      ours: fmt.ms(exP99),
      baseline: fmt.ms(warmP99),
      ratio: fmt.ratio(exP99 / warmP99),
      goal: goal('≤ 50 ms', exP99 <= 50),
      met: exP99 <= 50,
    });
    note(
      `disk needed: ${mb(diskAfter.database - diskBefore.database)} for ${fmt.int(opts.seedEvents)} events with their rollups (see "disk" above)`,
    );
    return { rows, details };
  },
};
