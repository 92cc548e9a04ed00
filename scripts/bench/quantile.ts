// Micro-benchmark of the percentile sketches (core/quantile-sketch.ts; with --postgres also quantile-store.ts in a
// throwaway database). Not a test: it prints timings and sizes, it asserts nothing.
//
//   npx tsx scripts/bench/quantile.ts [--postgres]
//
// A day of 1-minute buckets: 1 440 sketches of 2 000 log-normal values each (~300 bins per bucket).
import { randomBytes, randomUUID } from 'node:crypto';
import { parseConfig } from '../../adapters/config';
import { createSql, dropDatabase, ensureDatabase, type Sql } from '../../adapters/postgres/client';
import { migrate } from '../../adapters/postgres/migrate';
import { readQuantileSketches, upsertQuantiles, type QuantileRow } from '../../adapters/postgres/quantile-store';
import {
  addValue,
  emptySketch,
  mergeSketches,
  parseSketch,
  quantile,
  serializeSketch,
  sketchKey,
  sketchOf,
  type QuantileSketch,
} from '../../core/quantile-sketch';

const BUCKETS = 1440;
const VALUES_PER_BUCKET = 2000;
const MINUTE = 60_000;

/** Deterministic log-normal values (median e^3 ≈ 20, σ = 1.2: latencies in ms, say). */
function logNormal(seed: number, n: number): number[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 1) / 4294967297;
  };
  return Array.from({ length: n }, () =>
    Math.exp(3 + 1.2 * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())),
  );
}

/** Median time per call of `fn` over `rounds` rounds (after one warm-up round), in ms. */
function timeMs(rounds: number, fn: () => unknown): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

async function timeMsAsync(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const line = (what: string, value: string) => console.log(`${what.padEnd(58)} ${value}`);

function core(values: number[][]): QuantileSketch[] {
  const flat = values.flat();
  let sink = 0;
  const keyMs = timeMs(5, () => {
    for (const v of flat) sink += sketchKey(v);
  });
  line(`sketchKey (${flat.length} values)`, `${((keyMs * 1e6) / flat.length).toFixed(1)} ns per value`);
  let sketches: QuantileSketch[] = [];
  const addMs = timeMs(5, () => {
    sketches = values.map((vs) => {
      const s = emptySketch();
      for (const v of vs) addValue(s, v);
      return s;
    });
  });
  line(
    `addValue (${flat.length} values into ${BUCKETS} sketches)`,
    `${((addMs * 1e6) / flat.length).toFixed(1)} ns per value`,
  );
  const bins = sketches.map((s) => s.bins.length);
  line(
    'bins per bucket (mean / max)',
    `${(bins.reduce((a, b) => a + b, 0) / bins.length).toFixed(0)} / ${Math.max(...bins)}`,
  );
  const pairMs = timeMs(2000, () => mergeSketches(sketches[0]!, sketches[1]!));
  line('mergeSketches of 2 buckets', `${(pairMs * 1e3).toFixed(1)} µs`);
  let merged = emptySketch();
  const mergeMs = timeMs(20, () => (merged = mergeSketches(...sketches)));
  line(`mergeSketches of ${BUCKETS} buckets`, `${(mergeMs * 1e3).toFixed(0)} µs`);
  const foldMs = timeMs(5, () => sketches.reduce((a, b) => mergeSketches(a, b), emptySketch()));
  line(`${BUCKETS - 1} pairwise merges (a running total)`, `${(foldMs * 1e3).toFixed(0)} µs`);
  const qMs = timeMs(2000, () => {
    for (const q of [0.5, 0.9, 0.95, 0.99]) sink += quantile(merged, q)!;
  });
  line('quantile p50+p90+p95+p99 of the merged sketch', `${(qMs * 1e3).toFixed(2)} µs`);
  const perBucketMs = timeMs(20, () => {
    for (const s of sketches) sink += quantile(s, 0.99)!;
  });
  line(`p99 of each of ${BUCKETS} buckets`, `${(perBucketMs * 1e3).toFixed(0)} µs`);
  const texts = sketches.map(serializeSketch);
  const bytes = texts.reduce((a, t) => a + t.length, 0);
  line(
    `serializeSketch of ${BUCKETS} buckets (text, Redis)`,
    `${(timeMs(10, () => sketches.map(serializeSketch)) * 1e3).toFixed(0)} µs, ${(bytes / 1024).toFixed(0)} KiB (${(bytes / BUCKETS).toFixed(0)} B per bucket)`,
  );
  line(`parseSketch of ${BUCKETS} buckets`, `${(timeMs(10, () => texts.map(parseSketch)) * 1e3).toFixed(0)} µs`);
  const all = sketchOf(flat);
  const sorted = [...flat].sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.95, 0.99]) {
    const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
    line(
      `relative error of p${q * 100} over ${flat.length} values`,
      `${((Math.abs(quantile(all, q)! - exact) / exact) * 100).toFixed(3)} %`,
    );
  }
  if (sink === 42) console.log('');
  return sketches;
}

async function postgres(sketches: QuantileSketch[]): Promise<void> {
  const base = new URL(parseConfig(process.env).database.url);
  base.pathname = `/cs_bench_quantile_${randomBytes(4).toString('hex')}`;
  const url = base.toString();
  await ensureDatabase(url);
  const sql: Sql = createSql({ url, poolSize: 2, prepare: true });
  try {
    await migrate(sql);
    const tenantId = randomUUID();
    const projects = [randomUUID(), randomUUID(), randomUUID()];
    const start = Date.UTC(2030, 0, 1);
    const rows = (projectId: string): QuantileRow[] =>
      sketches.map((sketch, b) => ({
        tenantId,
        projectId,
        eventType: 'checkout',
        path: 'latency_ms',
        interval: '1m',
        bucketMs: start + b * MINUTE,
        sketch,
      }));
    const t0 = performance.now();
    for (const p of projects) await upsertQuantiles(sql, rows(p));
    line(
      `upsertQuantiles: insert ${BUCKETS} buckets × ${projects.length} projects`,
      `${((performance.now() - t0) / projects.length).toFixed(0)} ms per project`,
    );
    // A batch of 500 new values merged into existing rows of the five intervals.
    const batch = sketchOf(logNormal(99, 500));
    const intervals = ['10s', '1m', '5m', '1h', '1d'] as const;
    const batchMs = await timeMsAsync(20, () =>
      upsertQuantiles(
        sql,
        intervals.map((interval) => ({
          tenantId,
          projectId: projects[0]!,
          eventType: 'checkout',
          path: 'latency_ms',
          interval,
          bucketMs: start + 7 * MINUTE,
          sketch: batch,
        })),
      ),
    );
    line(
      `upsertQuantiles: merge a 500-value batch (${batch.bins.length} bins) into 5 rows`,
      `${batchMs.toFixed(1)} ms`,
    );
    const [size] = await sql<{ bytes: string }[]>`select pg_total_relation_size('quantile_sketches')::text as bytes`;
    line(
      `table size, ${BUCKETS * projects.length + intervals.length} rows`,
      `${(Number(size!.bytes) / 1024 / 1024).toFixed(1)} MiB`,
    );
    const range = {
      tenantId,
      eventType: 'checkout',
      path: 'latency_ms',
      interval: '1m' as const,
      fromMs: start,
      toMs: start + BUCKETS * MINUTE,
    };
    const one = await timeMsAsync(10, () => readQuantileSketches(sql, { ...range, projectIds: [projects[0]!] }));
    line(`readQuantileSketches: ${BUCKETS} buckets of 1 project`, `${one.toFixed(0)} ms`);
    const three = await timeMsAsync(10, () => readQuantileSketches(sql, { ...range, projectIds: projects }));
    line(`readQuantileSketches: ${BUCKETS} buckets of 3 projects (merged in Node)`, `${three.toFixed(0)} ms`);
    const sqlMergeMs = await timeMsAsync(
      5,
      () => sql`
      select s.bucket_start, array_to_json(f.bins), array_to_json(f.counts)
      from (select x.bucket_start, array_agg(x.bin order by x.bin) as bins, array_agg(x.n order by x.bin) as counts
            from (select q.bucket_start, u.bin, sum(u.n)::bigint as n
                  from quantile_sketches q cross join lateral unnest(q.bins, q.counts) as u(bin, n)
                  where q.tenant_id = ${tenantId} and q.interval = '1m' and q.project_id = any(${sql.array(projects)}::uuid[])
                  group by 1, 2) as x
            group by 1) as s
      cross join lateral quantile_collapse(s.bins, s.counts) as f`,
    );
    line(`the same 3 projects merged in SQL (unnest, group by, collapse)`, `${sqlMergeMs.toFixed(0)} ms`);
  } finally {
    await sql.end({ timeout: 5 });
    await dropDatabase(url);
  }
}

async function main(): Promise<void> {
  const values = Array.from({ length: BUCKETS }, (_, b) => logNormal(b + 1, VALUES_PER_BUCKET));
  const sketches = core(values);
  if (process.argv.includes('--postgres')) await postgres(sketches);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
