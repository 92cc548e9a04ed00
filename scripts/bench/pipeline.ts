// `npm run bench -- pipeline`: the whole pipeline against the one write we cannot avoid (issue 20;
// docs/benchmarks.md#the-pipeline-benchmark), in one run on one database:
//  (a) the raw-store limit: the same rows written straight into `events` + `event_ids` (the migrated tables, all
//      their indexes) through the aggregate store's own two statements (insertEventIds, insertRawEvents), batches
//      of 500 of one tenant each, 3 transactions at a time, nothing else;
//  (b) end to end: HTTP batches of 500 events (4 properties, 4 tenants, 8 connections) into the local runtime
//      (HTTP + aggregate consumer group in one child process) until every event is counted in GET /v1/metrics;
//      plain, with two declared dimensions per event type, and with those plus a numeric property (declared
//      `number`: its sum/n rollups and percentile sketch); each feature's cost per event;
//  (c) the aggregate consumer group alone over a pre-filled events_raw, beside a plain kafkajs consumer's read rate;
//  (s) scale-out (issue 20, goal 5): (b) plain with 1, 2, 3 (--aggregate-processes) aggregate-only processes in the
//      one consumer group behind one HTTP process with its consumers off, and every process's CPU per event,
//      Postgres's and the broker's, to show where Postgres becomes the limit;
//  (d) lives in the ingest benchmark (single-event requests vs a bare node:http server).
// Then the raw-store limit once more without the GIN index on events.properties (dropped in this throwaway database).
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { Partitioners } from 'kafkajs';
import type { Sql } from '../../adapters/postgres/client';
import { groupMembers } from '../../adapters/kafka/consumer-lag';
import { insertEventIds, insertRawEvents } from '../../adapters/postgres/aggregate-store';
import type { RawEvent } from '../../core/raw-event';
import { startChild, type RunningChild } from './child';
import { benchEnv, createBenchEnv, PARTITIONS, putCatalog } from './bench-env';
import { asRawEvent, bodyFactory, sampleEvent } from './events';
import { drainGroup, plainConsumerRate, prefillTopic, topicEnd } from './aggregate-kafka';
import { formatProfile, summarizeProfile } from './profile';
import { explainWriteBatch } from './explain';
import { describePhase, phaseMeter, usPerEvent, type PhaseCpu } from './sys';
import { fmt, goal, recorder, type Benchmark, type BenchContext, type BenchResult } from './context';

const TENANTS = 4;
const BATCH = 500;
const CONNECTIONS = 8;
/** Transactions in flight for the raw-store limit: the aggregate group's partitionsConsumedConcurrently. */
const IN_FLIGHT = 3;
const TYPES = ['page_view', 'signup', 'checkout_started', 'checkout_failed'] as const;
const DIMS = ['path', 'country'];
const MINUTE = 60_000;
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The i-th event: the sample event's type, user and session with 4 of its properties (~300 bytes as a request):
 * path, referrer, country and plan (strings), or `amount` (a JSON number) instead of plan.
 */
function pipelineEvent(i: number, numeric: boolean): Record<string, unknown> {
  const s = sampleEvent(i);
  const p = s.properties as Record<string, unknown>;
  return {
    ...s,
    event_type: TYPES[i % TYPES.length],
    properties: {
      // Campaign-tagged paths, as landing pages carry: ~300 bytes per event in all.
      path: `${p.path as string}?utm_source=newsletter&utm_medium=email&utm_campaign=${TYPES[i % TYPES.length]}`,
      referrer: p.referrer,
      country: p.country,
      ...(numeric ? { amount: p.amount } : { plan: p.plan }),
    },
  };
}

interface Tenant {
  id: string;
  project: { id: string; slug: string };
  keys: Record<'ingest' | 'read' | 'admin', string>;
}

/** Events lo … lo+count−1 as the aggregate store gets them, stamped over the 10 minutes before `now`. */
function rawEvents(t: Tenant, lo: number, count: number, runTag: string, numeric: boolean, now: number): RawEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = lo + k;
    const ts = now - ((i * 7_919) % 600_000);
    return asRawEvent(pipelineEvent(i, numeric), { tenantId: t.id, projectId: t.project.id }, `${runTag}-${i}`, ts);
  });
}

/** (a): `count` events of the tenants as raw rows, batches of 500 of one tenant, IN_FLIGHT transactions at a time. */
async function rawStoreRate(sql: Sql, tenants: Tenant[], count: number, runTag: string): Promise<number> {
  const now = Date.now();
  const batches: RawEvent[][] = [];
  for (let lo = 0, b = 0; lo < count; lo += BATCH, b++)
    batches.push(rawEvents(tenants[b % tenants.length]!, lo, Math.min(BATCH, count - lo), runTag, false, now));
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      const batch = batches[b]!;
      await sql.begin(async (tx) => {
        await insertEventIds(tx as unknown as Sql, batch);
        await insertRawEvents(tx as unknown as Sql, batch);
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return count / ((performance.now() - t0) / 1000);
}

export const pipelineBenchmark: Benchmark = {
  name: 'pipeline',
  title:
    'raw-store limit (events + event_ids, the same statements) vs end to end (HTTP batches of 500 → counted in GET /v1/metrics, ± dimensions and a percentile property, with 1–3 aggregate processes) and the aggregate consumer alone',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { opts } = ctx;
    const { rows, note, result } = recorder(ctx);
    const kafka = await ctx.kafka();
    ctx.progress('pipeline: creating a database, topics and tenants …');
    const env = await createBenchEnv(ctx, kafka, 'bench_pipe');
    const tenantsOf = async () => {
      const out: Tenant[] = [];
      for (let i = 0; i < TENANTS; i++) out.push(await env.createTenant());
      return out;
    };
    const [rawTenants, aggTenants, plainT, dimT, pctT, noGinTenants, singleT, warmT] = [
      await tenantsOf(),
      await tenantsOf(),
      await tenantsOf(),
      await tenantsOf(),
      await tenantsOf(),
      await tenantsOf(),
      await tenantsOf(),
      await tenantsOf(),
    ];
    const sql = env.adapters.sql;
    await env.adapters.partitions.ensureFor([Date.now() - 2 * HOUR, Date.now(), Date.now() + HOUR]);
    const runTag = `bench-${randomBytes(4).toString('hex')}`;
    const eventsRaw = env.config.kafka.topics.eventsRaw;
    const group = env.config.kafka.groups.aggregate;
    const n = opts.topicEvents;
    const sample = bodyFactory(BATCH, 'x', (i) => pipelineEvent(i, false));
    const samplePct = bodyFactory(BATCH, 'x', (i) => pipelineEvent(i, true));
    /** CPU of the named processes, the broker's and Postgres/Redis's (all their processes) over a phase. */
    const meter = (pids: Record<string, number>) => {
      const m = phaseMeter({ broker: kafka.pid, 'bench (this process)': process.pid, ...pids });
      /** Notes the phase's CPU, with every process's CPU per event, and returns it. */
      return (phase: string, events: number): PhaseCpu => {
        const p = m.stop();
        ctx.contention(`pipeline ${phase}`, p.contention);
        note(`${phase}: ${describePhase(p, events)}`);
        return p;
      };
    };

    // (a) The raw-store limit.
    ctx.progress(
      `pipeline a: raw-store limit: ${fmt.int(n)} rows into events + event_ids, batches of ${BATCH}, ${IN_FLIGHT} at a time …`,
    );
    const rawStop = meter({});
    const rawRate = await rawStoreRate(sql, rawTenants, n, `${runTag}-raw`);
    rawStop('raw-store', n);
    const indexes = await sql<{ name: string; def: string }[]>`
      select indexname as name, indexdef as def from pg_indexes where tablename in ('events', 'event_ids') order by 1`;
    note(
      `raw-store: ${fmt.int(n)} events (~${sample.bytesPerEvent} bytes as JSON, 4 properties) of ${TENANTS} tenants, one tenant per batch of ${BATCH}, ${IN_FLIGHT} transactions in flight, each insertEventIds + insertRawEvents (adapters/postgres/aggregate-store.ts) and nothing else: ${fmt.int(rawRate)} rows/s; ` +
        `indexes: ${indexes.map((i) => i.name).join(', ')}`,
    );

    // The runtime child: once to declare the catalogs (then stopped, so the prefilled topic waits for the next one).
    // `roles`: those of `npm start -- --only <roles>` (aggregate-server.ts); by default HTTP + the aggregate group.
    const start = (label: string, roles = 'http,aggregate') =>
      startChild(
        path.join(__dirname, 'aggregate-server.ts'),
        benchEnv(env, kafka, { BENCH_ROLES: roles }),
        path.join(ctx.tmpDir, `pipeline-${label}.log`),
      );
    let server: RunningChild = await start('catalog');
    ctx.defer('pipeline: local runtime (catalog)', () => server.stop());
    const declare = async (tenants: Tenant[], numeric: boolean) => {
      for (const t of tenants)
        for (const type of TYPES)
          await putCatalog(server.url, t, type, {
            dimensions: DIMS,
            ...(numeric ? { properties: { amount: 'number' } } : {}),
          });
    };
    await declare(dimT, false);
    await declare(pctT, true);
    await server.stop();

    // (c) The aggregate consumer group alone, beside a plain consumer.
    /** n events of the aggregate tenants over the last 10 minutes: scattered, or in time order. */
    const prefill = (inTimeOrder: boolean) =>
      prefillTopic({
        brokers: kafka.brokers,
        topic: eventsRaw,
        tenants: aggTenants.map((t) => ({ id: t.id, projectId: t.project.id })),
        count: n,
        spreadMs: 10 * MINUTE,
        inTimeOrder,
        runTag: `${runTag}-agg${inTimeOrder ? '-ordered' : ''}`,
        event: (i) => pipelineEvent(i, false),
      });
    ctx.progress(`pipeline c: pre-filling ${eventsRaw} with ${fmt.int(n)} events of ${TENANTS} tenants …`);
    const fill = await prefill(false);
    const filled = await topicEnd(env.adapters.kafka, eventsRaw);
    ctx.progress(`pipeline c: plain kafkajs consumer reading ${fmt.int(filled)} records …`);
    const plain = await plainConsumerRate({
      brokers: kafka.brokers,
      topic: eventsRaw,
      count: filled,
      timeoutMs: 120_000,
    });
    note(
      `plain-consumer: ${fmt.int(plain.records)} records of ~${fill.avgBytes} bytes in ${plain.seconds.toFixed(2)} s after its first batch: ${fmt.int(plain.recordsPerSec)} records/s`,
    );
    ctx.progress('pipeline c: the aggregate consumer group over the same records …');
    const t0 = performance.now();
    server = await start('runtime');
    ctx.defer('pipeline: local runtime', () => server.stop());
    if (ctx.profileDir) await server.profileStart();
    const aggStop = meter({ 'local runtime': server.pid });
    const drained = await drainGroup(env.adapters.kafka, {
      group,
      topic: eventsRaw,
      from: 0,
      until: filled,
      timeoutMs: 600_000,
      what: 'the aggregate consumer group',
    });
    aggStop('aggregate-alone', filled - drained.firstCommitted);
    if (ctx.profileDir) {
      const file = path.join(ctx.profileDir, 'pipeline-aggregate.cpuprofile');
      await server.profileStop(file);
      note(
        `aggregate-alone: CPU profile ${file} (from the start of the process)\n${formatProfile(summarizeProfile(file, 20), 'aggregate-alone', { count: filled, label: 'event' })}`,
      );
    }
    note(
      `aggregate-alone: timestamps scattered over 10 minutes; first commit ${((drained.firstAt - t0) / 1000).toFixed(1)} s after the process started (${fmt.int(drained.firstCommitted)} records); then ${fmt.int(filled - drained.firstCommitted)} records in ${((drained.doneAt - drained.firstAt) / 1000).toFixed(2)} s: ${fmt.int(drained.rate)} events/s; batch size ${env.config.aggregateBatchSize}`,
    );
    // (c, in time order) The same number of events again, their timestamps rising with their place in the topic as
    // live traffic's do (the end-to-end rows' events carry the time they were sent): a batch of a partition then
    // touches a few buckets, not buckets all over the 10 minutes. The group resumes where it stopped.
    await server.stop();
    ctx.progress(`pipeline c: pre-filling ${fmt.int(n)} more events in time order …`);
    await prefill(true);
    const filledInOrder = await topicEnd(env.adapters.kafka, eventsRaw);
    ctx.progress('pipeline c: the aggregate consumer group over the events in time order …');
    const t1 = performance.now();
    server = await start('runtime');
    const inOrderStop = meter({ 'local runtime': server.pid });
    const inOrder = await drainGroup(env.adapters.kafka, {
      group,
      topic: eventsRaw,
      from: filled,
      until: filledInOrder,
      timeoutMs: 600_000,
      what: 'the aggregate consumer group (events in time order)',
    });
    inOrderStop('aggregate-alone-in-order', filledInOrder - inOrder.firstCommitted);
    note(
      `aggregate-alone-in-order: first commit ${((inOrder.firstAt - t1) / 1000).toFixed(1)} s after the process started (${fmt.int(inOrder.firstCommitted - filled)} records); then ${fmt.int(filledInOrder - inOrder.firstCommitted)} records in ${((inOrder.doneAt - inOrder.firstAt) / 1000).toFixed(2)} s: ${fmt.int(inOrder.rate)} events/s`,
    );

    // (b) End to end, three ways.
    /** `events` (default n) POSTed to and counted through `url`; meters the runtime processes `pids` (name → pid). */
    const endToEnd = async (
      label: string,
      tenants: Tenant[],
      numeric: boolean,
      target: { url: string; pids: Record<string, number>; events?: number } = {
        url: server.url,
        pids: { 'local runtime': server.pid },
      },
    ) => {
      const per = tenants.map((t, k) => ({
        t,
        body: bodyFactory(BATCH, `${runTag}-${label}-${k}`, (i) => pipelineEvent(i, numeric)),
        sent: 0,
      }));
      const requests = Math.ceil((target.events ?? n) / BATCH);
      ctx.progress(
        `pipeline ${label.startsWith('scale') ? 's' : 'b'}: end to end (${label}): ${fmt.int(requests)} requests of ${BATCH} events over ${CONNECTIONS} connections, then GET /v1/metrics until all are counted …`,
      );
      const stop = meter(target.pids);
      const start = performance.now();
      let next = 0;
      let failed = 0;
      const worker = async (w: number) => {
        const p = per[w % per.length]!;
        for (let r = next++; r < requests; r = next++) {
          const res = await fetch(`${target.url}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${p.t.keys.ingest}` },
            body: p.body.next(),
          });
          const answer = await res.text();
          if (res.status !== 202) {
            if (++failed <= 3) note(`end-to-end-${label}: POST answered ${res.status}: ${answer.slice(0, 200)}`);
            continue;
          }
          p.sent += BATCH;
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
      const ackedAt = performance.now();
      const sent = per.reduce((s, p) => s + p.sent, 0);
      const from = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
      const counted = async () => {
        const counts = await Promise.all(
          per.flatMap((p) =>
            TYPES.map(async (type) => {
              const res = await fetch(
                `${target.url}/v1/metrics?event_type=${type}&metric=count&interval=1h&from=${from}&to=${from + 4 * HOUR}`,
                { headers: { authorization: `Bearer ${p.t.keys.read}` } },
              );
              const body = (await res.json()) as { points?: { value: number }[] };
              if (res.status !== 200) throw new Error(`GET /v1/metrics answered ${res.status}`);
              return (body.points ?? []).reduce((s, x) => s + x.value, 0);
            }),
          ),
        );
        return counts.reduce((a, b) => a + b, 0);
      };
      // The group's offsets first (an admin call, no work for the runtime), then the GETs: polling 16 GETs all along
      // would take the runtime's CPU from the consumer. Offsets move only after Redis is written (rule 3).
      const end = await topicEnd(env.adapters.kafka, eventsRaw);
      await drainGroup(env.adapters.kafka, {
        group,
        topic: eventsRaw,
        from: 0,
        until: end,
        timeoutMs: 600_000,
        what: `the aggregate consumer group (end to end, ${label})`,
      });
      let seen = 0;
      let polls = 0;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
        polls++;
        seen = await counted();
        if (seen >= sent) break;
      }
      const doneAt = performance.now();
      const cpu = stop(`end-to-end-${label}`, sent);
      if (seen < sent)
        throw new Error(
          `end to end (${label}): ${seen} of ${sent} events counted a minute after the group reached the topic's end`,
        );
      const rate = sent / ((doneAt - start) / 1000);
      note(
        `end-to-end-${label}: ${fmt.int(sent)} events (~${(numeric ? samplePct : sample).bytesPerEvent} bytes each in the request) acknowledged in ${((ackedAt - start) / 1000).toFixed(2)} s (${fmt.int(sent / ((ackedAt - start) / 1000))}/s), all ${fmt.int(seen)} counted in GET /v1/metrics ${((doneAt - ackedAt) / 1000).toFixed(2)} s later (the group's offsets polled every 100 ms up to the topic's end, then ${polls} poll(s) of ${per.length * TYPES.length} GETs); ${fmt.int(rate)} events/s first POST → all counted${failed > 0 ? `; ${failed} requests failed` : ''}`,
      );
      // The acknowledged rate and how long the group still needed after the last 202: which side held the rate.
      return { rate, cpu, sent, ackRate: sent / ((ackedAt - start) / 1000), tailS: (doneAt - ackedAt) / 1000 };
    };
    // Scale-out: end to end as the plain row, with N aggregate-only processes (`npm start -- --only aggregate` each)
    // in the one consumer group behind one HTTP process whose consumers are off (`--only http`). Their 4 fresh tenants
    // are picked (among tenants made until they fit) so that each lands on its own partition of events_raw (the key is
    // the tenant id) and the processes share them evenly (2, 1, 1 on 3), as many tenants would spread: a
    // random layout would put two tenants on one partition, or all on one process, and the rows would measure that.
    const partitionOf = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, p) => ({
      partitionErrorCode: 0,
      partitionId: p,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    /** The group's members' partitions (partition → member number from 1) once it is stable with `count` members. */
    const stableAssignment = async (count: number): Promise<Map<number, number>> => {
      let last = 'no answer';
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(250)) {
        const g = await groupMembers(env.adapters.kafka, group).catch((e: Error) => ({
          state: e.message,
          members: [],
        }));
        last = `${g.state}, ${g.members.length} member(s)`;
        const owned = g.members.map((m) => m.assignment[eventsRaw] ?? []);
        if (g.state !== 'Stable' || g.members.length !== count || owned.flat().length !== PARTITIONS) continue;
        return new Map(owned.flatMap((ps, k) => ps.map((p) => [p, k + 1] as const)));
      }
      throw new Error(`the aggregate group did not settle with ${count} member(s) within 90 s (last: ${last})`);
    };
    /** TENANTS fresh tenants on distinct partitions, floor(TENANTS/count) or one more per member (4 on 3: 2, 1, 1). */
    const balancedTenants = async (assignment: Map<number, number>, count: number) => {
      const base = Math.floor(TENANTS / count);
      const picked: { t: Tenant; partition: number; member: number }[] = [];
      const has = (m: number) => picked.filter((x) => x.member === m).length;
      /** Below floor, or at it while fewer members than TENANTS % count have one more. */
      const fits = (m: number) =>
        has(m) < base ||
        (has(m) === base &&
          [...new Set(picked.map((x) => x.member))].filter((k) => has(k) > base).length < TENANTS % count);
      for (let made = 0; picked.length < TENANTS; made++) {
        if (made >= 200) throw new Error(`no ${TENANTS} tenants on distinct, evenly owned partitions in 200 tries`);
        const t = await env.createTenant();
        const partition = partitionOf({ topic: eventsRaw, partitionMetadata, message: { key: t.id, value: null } });
        const member = assignment.get(partition)!;
        if (picked.some((x) => x.partition === partition) || !fits(member)) continue;
        picked.push({ t, partition, member });
      }
      return picked;
    };
    interface ScaleRow {
      processes: number;
      rate: number;
      cpu: PhaseCpu;
      /** Events of the row. */
      sent: number;
      ackRate: number;
      tailS: number;
    }
    const scaleOutRows = async (): Promise<ScaleRow[]> => {
      const out: ScaleRow[] = [];
      if (opts.aggregateProcesses.length === 0) return out;
      ctx.progress(
        `pipeline s: scale-out: one HTTP process (consumers off), then ${opts.aggregateProcesses.join(', ')} aggregate-only process(es) in group ${group} …`,
      );
      const front = await start('scale-http', 'http');
      ctx.defer('pipeline: local runtime (scale-out, HTTP)', () => front.stop());
      try {
        for (const count of opts.aggregateProcesses) {
          const workers: RunningChild[] = [];
          try {
            for (let k = 1; k <= count; k++) {
              const w = await start(`scale-${count}-aggregate-${k}`, 'aggregate');
              workers.push(w);
              ctx.defer(`pipeline: aggregate process ${k} of ${count}`, () => w.stop());
            }
            const assignment = await stableAssignment(count);
            const pids: Record<string, number> = { 'HTTP/ingest process': front.pid };
            workers.forEach((w, k) => (pids[`aggregate process ${k + 1}`] = w.pid));
            // Warm-up, like (b)'s runtime after (c): a tenth of the events (at least 5 000) for other tenants laid out
            // alike, through all the processes, counted before the measured events start.
            const warm = await balancedTenants(assignment, count);
            await endToEnd(
              `scale-${count}-warm-up`,
              warm.map((x) => x.t),
              false,
              { url: front.url, pids, events: Math.max(5_000, Math.round(n / 10)) },
            );
            const picked = await balancedTenants(assignment, count);
            const members = Array.from({ length: count }, (_, k) => k + 1).map((m) => {
              const ps = [...assignment].filter(([, x]) => x === m).map(([p]) => p);
              const busy = picked.filter((x) => x.member === m).map((x) => x.partition);
              return `member ${m}: partitions ${ps.join(',')} (tenants on ${busy.length > 0 ? busy.join(',') : 'none'})`;
            });
            note(`scale-${count}: group ${group} stable with ${count} member(s); ${members.join('; ')}`);
            const { rate, cpu, sent, ackRate, tailS } = await endToEnd(
              `scale-${count}`,
              picked.map((x) => x.t),
              false,
              { url: front.url, pids },
            );
            out.push({ processes: count, rate, cpu, sent, ackRate, tailS });
          } finally {
            for (const w of workers) await w.stop();
          }
        }
      } finally {
        await front.stop();
      }
      return out;
    };

    // (b) as `npm start` runs the platform on 2 cores or more: the HTTP API in one process and the aggregate role in a
    // child process of its own (scripts/start.ts, --aggregate-processes 1), here as two bench children with those roles.
    // First the same plain row on the process (c) used (`--aggregate-processes 0`: one event loop for both), warm.
    const { rate: e2eSingle } = await endToEnd('single-process', singleT, false);
    await server.stop();
    const front = await start('http', 'http');
    ctx.defer('pipeline: local runtime (HTTP)', () => front.stop());
    const aggregator = await start('aggregate', 'aggregate');
    ctx.defer('pipeline: aggregate process', () => aggregator.stop());
    await stableAssignment(1);
    const layout = { url: front.url, pids: { 'HTTP/ingest process': front.pid, 'aggregate process': aggregator.pid } };
    // Warm-up, like the single process after (c): a tenth of the events (at least 5 000), counted before the rows.
    await endToEnd('warm-up', warmT, false, { ...layout, events: Math.max(5_000, Math.round(n / 10)) });
    const { rate: e2e } = await endToEnd('plain', plainT, false, layout);
    const { rate: e2eDim } = await endToEnd('dimensions', dimT, false, layout);
    const { rate: e2ePct } = await endToEnd('dimensions-percentile', pctT, true, layout);
    await aggregator.stop();
    await front.stop();
    const scaleOut = await scaleOutRows();
    const [dimCells] = await sql<{ n: string }[]>`
      select count(*)::text as n from dimension_cells where dimension_id in (
        select id from event_dimensions where tenant_id = any(${sql.array([...dimT, ...pctT].map((t) => t.id))}::uuid[]))`;
    const [sketches] = await sql<{ n: string }[]>`
      select count(*)::text as n from quantile_sketches where tenant_id = any(${sql.array(pctT.map((t) => t.id))}::uuid[])`;
    note(
      `features: ${fmt.int(Number(dimCells!.n))} dimension rollup rows and ${fmt.int(Number(sketches!.n))} percentile sketch rows written by the two runs with features (the catalog has no percentile declaration: every top-level JSON-number property gets sketches and sum/n rollups, so the third run sends amount as a number, declared "number")`,
    );

    // With --profile: one more batch (500 events of a tenant with both features) under auto_explain.
    if (ctx.profileDir) {
      const planFile = path.join(ctx.profileDir, 'pipeline-write-batch.plans.txt');
      try {
        const x = await explainWriteBatch(
          env.config.database.url,
          rawEvents(pctT[0]!, 0, BATCH, `${runTag}-explain`, true, Date.now()),
          planFile,
        );
        note(
          `explain: one writeBatch of ${BATCH} events (dimensions and a numeric property) under auto_explain (ANALYZE, BUFFERS) took ${fmt.ms(x.totalMs)}; plans in ${planFile}; statements: ` +
            x.statements.map((st) => `${fmt.ms(st.ms)} ${st.statement}`).join(' | '),
        );
      } catch (e) {
        note(`explain: skipped: ${(e as Error).message}`);
      }
    }

    // GIN index cost: the raw-store limit again without it (this database is thrown away afterwards).
    await sql`drop index if exists events_properties_path_ops`;
    ctx.progress('pipeline a: raw-store limit again without the GIN index on events.properties …');
    const noGinStop = meter({});
    const rawNoGin = await rawStoreRate(sql, noGinTenants, n, `${runTag}-nogin`);
    noGinStop('raw-store-no-gin', n);
    note(
      `raw-store-no-gin: the same ${fmt.int(n)} rows for other tenants, events_properties_path_ops dropped: ${fmt.int(rawNoGin)} rows/s`,
    );

    const us = (rate: number) => 1e6 / rate;
    const e2eRatio = e2e / rawRate;
    const aggRatio = inOrder.rate / rawRate;
    rows.push(
      {
        benchmark: `raw-store limit: rows/s into events + event_ids (migrated indexes), batches of ${BATCH} through the aggregate store's two jsonb_to_recordset statements, ${IN_FLIGHT} at a time; the baseline of the rows below`,
        ours: `${fmt.int(rawRate)} rows/s`,
        baseline: '—',
        ratio: '1.00',
        goal: 'reported',
      },
      {
        benchmark: `end to end: HTTP batches of ${BATCH} (${TENANTS} tenants, ${CONNECTIONS} connections, 4 properties) until every event is counted in GET /v1/metrics, the processes as npm start runs them (HTTP API, and the aggregate role in a process of its own); baseline: the raw-store limit`,
        ours: `${fmt.int(e2e)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(e2eRatio),
        goal: goal('≥ 0.50', e2eRatio >= 0.5),
        met: e2eRatio >= 0.5,
      },
      {
        benchmark: `end to end, same, all in one process (npm start -- --aggregate-processes 0); baseline: the raw-store limit`,
        ours: `${fmt.int(e2eSingle)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(e2eSingle / rawRate),
        goal: 'reported',
      },
      {
        benchmark: `end to end, same, with 2 declared dimensions per event type (path, country); baseline: the raw-store limit; cost ${(us(e2eDim) - us(e2e)).toFixed(0)} µs wall per event over plain`,
        ours: `${fmt.int(e2eDim)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(e2eDim / rawRate),
        goal: 'reported',
      },
      {
        benchmark: `end to end, same, with the 2 dimensions and 1 percentile property (amount, a declared number: its sketch and sum/n rollups); baseline: the raw-store limit; cost ${(us(e2ePct) - us(e2eDim)).toFixed(0)} µs wall per event over the dimensions run`,
        ours: `${fmt.int(e2ePct)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(e2ePct / rawRate),
        goal: 'reported',
      },
      ...scaleOut.map(({ processes, rate, cpu, sent, ackRate, tailS }) => {
        const cores = { ...cpu.cpu.cores, ...cpu.services };
        const perEvent = (c: number) => usPerEvent(cpu, c, sent).toFixed(0);
        const us = (name: string) => perEvent(cores[name] ?? NaN);
        const aggCores = Object.entries(cores)
          .filter(([k]) => k.startsWith('aggregate process'))
          .reduce((a, [, c]) => a + c, 0);
        const pg = cores.postgres ?? NaN;
        return {
          benchmark:
            `end to end, plain, with ${processes} aggregate-only process${processes === 1 ? '' : 'es'} in one consumer group behind 1 HTTP/ingest process (consumers off), tenants on distinct partitions spread evenly; baseline: the raw-store limit; acknowledged at ${fmt.int(ackRate)}/s, all counted ${tailS.toFixed(1)} s after the last 202; ` +
            `CPU per event: HTTP/ingest ${us('HTTP/ingest process')} µs, aggregate processes ${perEvent(aggCores)} µs, Postgres ${us('postgres')} µs (${pg.toFixed(2)} of ${cpus().length} cores), broker ${us('broker')} µs, Redis ${us('redis-server')} µs; machine busy ${cpu.cpu.machineCores.toFixed(2)} cores`,
          ours: `${fmt.int(rate)} events/s`,
          baseline: `${fmt.int(rawRate)} rows/s`,
          ratio: fmt.ratio(rate / rawRate),
          goal: 'reported',
        };
      }),
      {
        benchmark: `the aggregate consumer group alone over ${fmt.int(n)} pre-filled events of ${TENANTS} tenants, timestamps rising over 10 minutes in topic order (as live traffic's); baseline: the raw-store limit`,
        ours: `${fmt.int(inOrder.rate)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(aggRatio),
        goal: goal('≥ 0.50', aggRatio >= 0.5),
        met: aggRatio >= 0.5,
      },
      {
        benchmark:
          'the aggregate consumer group alone, same; baseline: a plain kafkajs consumer reading the same topic',
        ours: `${fmt.int(inOrder.rate)} events/s`,
        baseline: `${fmt.int(plain.recordsPerSec)} records/s`,
        ratio: fmt.ratio(inOrder.rate / plain.recordsPerSec),
        goal: 'reported',
      },
      {
        benchmark: `the aggregate consumer group alone over ${fmt.int(n)} events with timestamps scattered over the 10 minutes (each batch touches buckets all over them, as a backlog of late events does); baseline: the same in time order`,
        ours: `${fmt.int(drained.rate)} events/s`,
        baseline: `${fmt.int(inOrder.rate)} events/s`,
        ratio: fmt.ratio(drained.rate / inOrder.rate),
        goal: 'reported',
      },
      {
        benchmark: 'raw-store limit without the GIN index on events.properties; baseline: the raw-store limit with it',
        ours: `${fmt.int(rawNoGin)} rows/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(rawNoGin / rawRate),
        goal: 'reported',
      },
    );
    return result();
  },
};
