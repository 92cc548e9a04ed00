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
//  (d) lives in the ingest benchmark (single-event requests vs a bare node:http server).
// Then the raw-store limit once more without the GIN index on events.properties (dropped in this throwaway database).
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { createTestEnv } from '../../test/harness';
import { deleteTopics, ensureTopics } from '../../adapters/kafka/topics';
import { topicSpecs } from '../../adapters';
import { dropDatabase, type Sql } from '../../adapters/postgres/client';
import { insertEventIds, insertRawEvents } from '../../adapters/postgres/aggregate-store';
import type { RawEvent } from '../../core/raw-event';
import { startChild, type RunningChild } from './child';
import { bodyFactory, sampleEvent } from './events';
import { drainGroup, plainConsumerRate, prefillTopic, topicEnd } from './aggregate-kafka';
import { formatProfile, summarizeProfile } from './profile';
import { explainWriteBatch } from './explain';
import { coresByName, cpuByName, cpuMeter, describeCpu } from './sys';
import { fmt, goal, recorder, type Benchmark, type BenchContext, type BenchResult } from './context';

const PARTITIONS = 6; // events_raw's default
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
    const e = pipelineEvent(i, numeric);
    const ts = now - ((i * 7_919) % 600_000);
    return {
      tenantId: t.id,
      projectId: t.project.id,
      project: t.project.slug,
      eventId: `${runTag}-${i}`,
      eventType: e.event_type as string,
      timestampMs: ts,
      receivedAtMs: ts,
      userId: e.user_id as string,
      sessionId: e.session_id as string,
      properties: e.properties as Record<string, unknown>,
      context: null,
    };
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
    'raw-store limit (events + event_ids, the same statements) vs end to end (HTTP batches of 500 → counted in GET /v1/metrics, ± dimensions and a percentile property) and the aggregate consumer alone',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { opts } = ctx;
    const { rows, note, result } = recorder(ctx);
    const kafka = await ctx.kafka();
    ctx.progress('pipeline: creating a database, topics and tenants …');
    const env = await createTestEnv(
      'bench_pipe',
      { KAFKA_BROKERS: kafka.brokers, KAFKA_EVENTS_RAW_PARTITIONS: String(PARTITIONS) },
      { topics: false },
    );
    ctx.defer('pipeline: database, topics, tenants', async () => {
      await deleteTopics(env.adapters.kafka, Object.values(env.config.kafka.topics)).catch(() => undefined);
      const admin = env.adapters.kafka.admin();
      await admin
        .connect()
        .then(() => admin.deleteGroups([env.config.kafka.groups.aggregate]))
        .catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      try {
        await env.cleanup();
      } catch (e) {
        await dropDatabase(env.config.database.url);
        throw e;
      }
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(env.adapters.kafka, topicSpecs(env.config));
        break;
      } catch (e) {
        if (attempt >= 6) throw e;
        await sleep(700 * attempt);
      }
    }
    const tenantsOf = async () => {
      const out: Tenant[] = [];
      for (let i = 0; i < TENANTS; i++) out.push(await env.createTenant());
      return out;
    };
    const [rawTenants, aggTenants, plainT, dimT, pctT, noGinTenants] = [
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
    const SERVICES = ['postgres', 'redis-server'];
    /** CPU of the named processes and of Postgres/Redis (all their processes) over a phase. */
    const meter = (pids: Record<string, number>) => {
      const m = cpuMeter({ broker: kafka.pid, 'bench (this process)': process.pid, ...pids });
      const before = cpuByName(SERVICES);
      const t = performance.now();
      return (phase: string, events: number) => {
        const cpu = m.stop();
        const services = coresByName(before, cpuByName(SERVICES), performance.now() - t);
        const servicesCores = Object.values(services).reduce((a, b) => a + b, 0);
        ctx.contention(`pipeline ${phase}`, Math.max(0, cpu.otherCores - servicesCores));
        const us = (cores: number) => ((cores * cpu.wallMs) / Math.max(1, events)) * 1000;
        note(
          `${phase}: ${describeCpu(cpu)}; of those others: ${Object.entries(services)
            .map(([k, c]) => `${k} ${c.toFixed(2)}`)
            .join(', ')}` +
            `; CPU per event: ${Object.entries({ ...cpu.cores, ...services })
              .filter(([, c]) => Number.isFinite(c) && c > 0.01)
              .map(([k, c]) => `${k} ${us(c).toFixed(0)} µs`)
              .join(', ')}`,
        );
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
    const childEnv: Record<string, string> = {
      DATABASE_URL: env.config.database.url,
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC_EVENTS_RAW: eventsRaw,
      KAFKA_TOPIC_EVENTS_DLQ: env.config.kafka.topics.eventsDlq,
      KAFKA_TOPIC_METRIC_UPDATES: env.config.kafka.topics.metricUpdates,
      KAFKA_GROUP_AGGREGATE: group,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'WARN',
      // Capacity: the per-tenant rate limit never refuses (its Redis call stays in the path).
      RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
      RATE_LIMIT_BURST: '100000000',
    };
    const start = (label: string) =>
      startChild(path.join(__dirname, 'aggregate-server.ts'), childEnv, path.join(ctx.tmpDir, `pipeline-${label}.log`));
    let server: RunningChild = await start('catalog');
    ctx.defer('pipeline: local runtime (catalog)', () => server.stop());
    const declare = async (tenants: Tenant[], numeric: boolean) => {
      for (const t of tenants)
        for (const type of TYPES) {
          const res = await fetch(`${server.url}/v1/catalog/${type}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.admin}` },
            body: JSON.stringify({
              project: t.project.slug,
              dimensions: DIMS,
              ...(numeric ? { properties: { amount: 'number' } } : {}),
            }),
          });
          const answer = await res.text();
          if (res.status !== 200 && res.status !== 201)
            throw new Error(`PUT /v1/catalog/${type} answered ${res.status}: ${answer.slice(0, 300)}`);
        }
    };
    await declare(dimT, false);
    await declare(pctT, true);
    await server.stop();

    // (c) The aggregate consumer group alone, beside a plain consumer.
    ctx.progress(`pipeline c: pre-filling ${eventsRaw} with ${fmt.int(n)} events of ${TENANTS} tenants …`);
    const fill = await prefillTopic({
      brokers: kafka.brokers,
      topic: eventsRaw,
      tenants: aggTenants.map((t) => ({ id: t.id, projectId: t.project.id })),
      count: n,
      spreadMs: 10 * MINUTE,
      runTag: `${runTag}-agg`,
      event: (i) => pipelineEvent(i, false),
    });
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
      `aggregate-alone: first commit ${((drained.firstAt - t0) / 1000).toFixed(1)} s after the process started (${fmt.int(drained.firstCommitted)} records); then ${fmt.int(filled - drained.firstCommitted)} records in ${((drained.doneAt - drained.firstAt) / 1000).toFixed(2)} s: ${fmt.int(drained.rate)} events/s; batch size ${env.config.aggregateBatchSize}`,
    );

    // (b) End to end, three ways.
    const endToEnd = async (label: string, tenants: Tenant[], numeric: boolean) => {
      const per = tenants.map((t, k) => ({
        t,
        body: bodyFactory(BATCH, `${runTag}-${label}-${k}`, (i) => pipelineEvent(i, numeric)),
        sent: 0,
      }));
      const requests = Math.ceil(n / BATCH);
      ctx.progress(
        `pipeline b: end to end (${label}): ${fmt.int(requests)} requests of ${BATCH} events over ${CONNECTIONS} connections, then GET /v1/metrics until all are counted …`,
      );
      const stop = meter({ 'local runtime': server.pid });
      const start = performance.now();
      let next = 0;
      let failed = 0;
      const worker = async (w: number) => {
        const p = per[w % per.length]!;
        for (let r = next++; r < requests; r = next++) {
          const res = await fetch(`${server.url}/v1/events`, {
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
                `${server.url}/v1/metrics?event_type=${type}&metric=count&interval=1h&from=${from}&to=${from + 4 * HOUR}`,
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
      stop(`end-to-end-${label}`, sent);
      if (seen < sent)
        throw new Error(
          `end to end (${label}): ${seen} of ${sent} events counted a minute after the group reached the topic's end`,
        );
      const rate = sent / ((doneAt - start) / 1000);
      note(
        `end-to-end-${label}: ${fmt.int(sent)} events (~${(numeric ? samplePct : sample).bytesPerEvent} bytes each in the request) acknowledged in ${((ackedAt - start) / 1000).toFixed(2)} s (${fmt.int(sent / ((ackedAt - start) / 1000))}/s), all ${fmt.int(seen)} counted in GET /v1/metrics ${((doneAt - ackedAt) / 1000).toFixed(2)} s later (the group's offsets polled every 100 ms up to the topic's end, then ${polls} poll(s) of ${per.length * TYPES.length} GETs); ${fmt.int(rate)} events/s first POST → all counted${failed > 0 ? `; ${failed} requests failed` : ''}`,
      );
      return rate;
    };
    const e2e = await endToEnd('plain', plainT, false);
    const e2eDim = await endToEnd('dimensions', dimT, false);
    const e2ePct = await endToEnd('dimensions-percentile', pctT, true);
    await server.stop();
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
    const aggRatio = drained.rate / rawRate;
    rows.push(
      {
        benchmark: `raw-store limit: rows/s into events + event_ids (migrated indexes), batches of ${BATCH} through the aggregate store's two jsonb_to_recordset statements, ${IN_FLIGHT} at a time; the baseline of the rows below`,
        ours: `${fmt.int(rawRate)} rows/s`,
        baseline: '—',
        ratio: '1.00',
        goal: 'reported',
      },
      {
        benchmark: `end to end: HTTP batches of ${BATCH} (${TENANTS} tenants, ${CONNECTIONS} connections, 4 properties) until every event is counted in GET /v1/metrics; baseline: the raw-store limit`,
        ours: `${fmt.int(e2e)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(e2eRatio),
        goal: goal('≥ 0.50', e2eRatio >= 0.5),
        met: e2eRatio >= 0.5,
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
      {
        benchmark: `the aggregate consumer group alone over ${fmt.int(filled)} pre-filled events of ${TENANTS} tenants; baseline: the raw-store limit`,
        ours: `${fmt.int(drained.rate)} events/s`,
        baseline: `${fmt.int(rawRate)} rows/s`,
        ratio: fmt.ratio(aggRatio),
        goal: goal('≥ 0.50', aggRatio >= 0.5),
        met: aggRatio >= 0.5,
      },
      {
        benchmark:
          'the aggregate consumer group alone, same; baseline: a plain kafkajs consumer reading the same records',
        ours: `${fmt.int(drained.rate)} events/s`,
        baseline: `${fmt.int(plain.recordsPerSec)} records/s`,
        ratio: fmt.ratio(drained.rate / plain.recordsPerSec),
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
