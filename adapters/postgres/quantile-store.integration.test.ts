// Percentile sketches in the real Postgres (migrations/014_quantile_sketches.sql, quantile-store.ts): SQL puts every
// value in the bin core/quantile-sketch.ts does, merges exactly as the core does, and the stored state of a bucket is
// the same whatever order or partition its values were written in.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useTestEnv } from '../../test/harness';
import type { Sql } from './client';
import {
  readQuantileBuckets,
  readQuantileSketches,
  upsertQuantiles,
  type QuantileKey,
  type QuantileRow,
} from './quantile-store';
import { APP_ROLE } from './app-role';
import {
  BINS_PER_OCTAVE,
  MANTISSA_BOUNDS,
  MAX_BINS,
  mergeSketches,
  serializeSketch,
  sketchFromParts,
  sketchKey,
  sketchOf,
  type QuantileSketch,
} from '../../core/quantile-sketch';
import type { Interval } from '../../core/intervals';

const { env } = useTestEnv('quantiles', { topics: false });
let sql: Sql;

beforeAll(() => {
  sql = env.adapters.sql;
});

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const mixed = fc.oneof(
  finite,
  fc.double({ min: -1e4, max: 1e4, noNaN: true }),
  fc.constantFrom(0, -0, 5e-324, Number.MAX_VALUE),
);
const text = (s: QuantileSketch) => serializeSketch(s);

/** Every bin bound and the double just below it, in normal and subnormal octaves, and the extremes. */
function boundaryValues(): number[] {
  const out = [
    0,
    -0,
    5e-324,
    -5e-324,
    1e-323,
    2 ** -1022,
    2 ** -1022 - 5e-324,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    0.1,
    1 / 3,
  ];
  for (const exponent of [-1074, -1070, -1050, -1023, -1022, -1, 0, 1, 1023]) {
    for (let j = 0; j < BINS_PER_OCTAVE; j++) {
      const bound = (1 + MANTISSA_BOUNDS[j]! / 2 ** 52) * 2 ** exponent;
      const below = bound - Math.max(bound * 2 ** -53, 5e-324);
      out.push(bound, below, -bound, -below);
    }
  }
  return out.filter((v) => Number.isFinite(v));
}

/** n values in consecutive bins, from the bin of 2^-40 shifted by `from` bins: wide enough to collapse beyond 2 048. */
const oneBinApart = (n: number, from: number) =>
  Array.from(
    { length: n },
    (_, i) => (1 + MANTISSA_BOUNDS[(i + from) % 35]! / 2 ** 52) * 2 ** (Math.floor((i + from) / 35) - 40),
  );

describe("quantile_bin (SQL) puts every value in sketchKey's bin", () => {
  const sqlBins = async (values: number[]) => {
    const rows = await sql<{ bin: number; viaJson: number }[]>`
      select quantile_bin(v::float8) as bin, quantile_bin((j -> 0)::float8) as "viaJson"
      from unnest(${sql.array(values.map(String))}::text[], ${sql.array(values.map((v) => JSON.stringify([v])))}::jsonb[])
        with ordinality as x(v, j, o)
      order by o`;
    return rows;
  };

  it('on the bin bounds, subnormals, zeros and the extremes, also read from jsonb as rebuild reads raw events', async () => {
    const values = boundaryValues();
    const rows = await sqlBins(values);
    expect(rows.map((r) => r.bin)).toEqual(values.map(sketchKey).map((b) => b + 0));
    expect(rows.map((r) => r.viaJson)).toEqual(values.map(sketchKey).map((b) => b + 0));
  });

  it('on generated doubles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mixed, { minLength: 1, maxLength: 3000, size: 'max' }), async (values) => {
        const rows = await sqlBins(values);
        expect(rows.map((r) => r.bin)).toEqual(values.map((v) => sketchKey(v) + 0));
        expect(rows.map((r) => r.viaJson)).toEqual(values.map((v) => sketchKey(v) + 0));
      }),
      { numRuns: 15 },
    );
  });

  it("refuses NaN and ±Infinity with SQLSTATE 22003 (a record's own fault)", async () => {
    for (const v of ['NaN', 'Infinity', '-Infinity']) {
      await expect(sql`select quantile_bin(${v}::float8)`).rejects.toMatchObject({ code: '22003' });
    }
  });
});

describe('SQL merge and collapse equal the core', () => {
  const sketches = fc.array(mixed, { maxLength: 2500, size: 'max' }).map((vs) => sketchOf(vs));

  it('quantile_merge(a, b) has the bins and counts of mergeSketches(a, b), collapsed or not', async () => {
    let collapsed = 0;
    await fc.assert(
      fc.asyncProperty(sketches, sketches, async (a, b) => {
        const [row] = await sql<{ bins: number[]; counts: number[] }[]>`
        select array_to_json(m.bins) as bins, array_to_json(m.counts) as counts
        from quantile_merge(${sql.array(a.bins)}::int[], ${sql.array(a.counts)}::bigint[], ${sql.array(b.bins)}::int[], ${sql.array(b.counts)}::bigint[]) as m`;
        const expected = mergeSketches(a, b);
        expect(row).toEqual({ bins: expected.bins, counts: expected.counts });
        if (expected.bins.length === MAX_BINS) collapsed++;
      }),
      { numRuns: 40, examples: [[sketchOf(oneBinApart(1500, 0)), sketchOf(oneBinApart(1500, 1000))]] },
    );
    expect(collapsed).toBeGreaterThan(0);
  });

  it('a sketch built in SQL from raw values (group by bin, quantile_collapse) is the core sketch of those values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mixed, { minLength: 1, maxLength: 4000, size: 'max' }), async (values) => {
        const [row] = await sql<{ bins: number[]; counts: number[]; n: string; min: number; max: number }[]>`
        with v as (select (j -> 'v')::float8 as v from unnest(${sql.array(values.map((v) => JSON.stringify({ v })))}::jsonb[]) as j),
        per_bin as (select quantile_bin(v) as bin, count(*) as c from v group by 1)
        select array_to_json(f.bins) as bins, array_to_json(f.counts) as counts,
               (select count(*) from v)::text as n, (select min(v) from v) as min, (select max(v) from v) as max
        from quantile_collapse((select array_agg(bin order by bin) from per_bin), (select array_agg(c order by bin) from per_bin)) as f`;
        const built = sketchFromParts({
          bins: row!.bins,
          counts: row!.counts,
          count: Number(row!.n),
          min: row!.min,
          max: row!.max,
        });
        expect(text(built)).toBe(text(sketchOf(values)));
      }),
      { numRuns: 15 },
    );
  });
});

describe('upsertQuantiles', () => {
  const INTERVALS: Interval[] = ['10s', '1m', '1d'];
  const BUCKETS = [Date.UTC(2030, 0, 1), Date.UTC(2030, 0, 2)];

  /** Values tagged with a key (project 0–1, interval, bucket) and a batch number. */
  const tagged = fc.array(
    fc.record({
      v: mixed,
      project: fc.nat(1),
      interval: fc.constantFrom(...INTERVALS),
      bucket: fc.constantFrom(...BUCKETS),
      batch: fc.nat(5),
    }),
    { minLength: 1, maxLength: 3000, size: 'max' },
  );

  type Tagged = { v: number; project: number; interval: Interval; bucket: number; batch: number };

  /** Writes the values as batches (one upsert per batch, rows of a key split across batches) in the given order. */
  async function write(
    tenantId: string,
    projects: string[],
    values: Tagged[],
    order: number[],
    concurrently: boolean,
  ): Promise<void> {
    const batches = order.map((b) => {
      const rows = new Map<string, QuantileRow>();
      for (const t of values.filter((x) => x.batch === b)) {
        const id = `${t.project}/${t.interval}/${t.bucket}`;
        const row = rows.get(id) ?? {
          tenantId,
          projectId: projects[t.project]!,
          eventType: 'checkout',
          path: 'amount',
          interval: t.interval,
          bucketMs: t.bucket,
          sketch: sketchOf([]),
        };
        row.sketch = mergeSketches(row.sketch, sketchOf([t.v]));
        rows.set(id, row);
      }
      return [...rows.values()];
    });
    if (concurrently)
      await Promise.all(batches.map((rows) => sql.begin((tx) => upsertQuantiles(tx as unknown as Sql, rows))));
    else for (const rows of batches) await upsertQuantiles(sql, rows);
  }

  async function storedState(tenantId: string): Promise<string[]> {
    const rows = await sql<
      { p: string; i: string; b: Date; n: string; min: number; max: number; bins: number[]; counts: number[] }[]
    >`
      select project_id as p, interval as i, bucket_start as b, n::text as n, min_value as min, max_value as max,
             array_to_json(bins) as bins, array_to_json(counts) as counts
      from quantile_sketches where tenant_id = ${tenantId} order by project_id, interval, bucket_start`;
    return rows.map((r) => `${r.i} ${r.b.toISOString()} ${text(sketchFromParts({ ...r, count: Number(r.n) }))}`);
  }

  it('stores the core sketch of all values of each bucket, whatever the order and partition of the writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        tagged,
        fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6 }),
        fc.boolean(),
        async (values, order, concurrently) => {
          const projects = [randomUUID(), randomUUID()].sort();
          const [t1, t2] = [randomUUID(), randomUUID()];
          await write(t1, projects, values, [0, 1, 2, 3, 4, 5], false);
          await write(t2, projects, values, order, concurrently);
          const expected: string[] = [];
          for (const p of [0, 1]) {
            for (const i of [...INTERVALS].sort()) {
              for (const b of BUCKETS) {
                const vs = values.filter((t) => t.project === p && t.interval === i && t.bucket === b).map((t) => t.v);
                if (vs.length > 0) expected.push(`${i} ${new Date(b).toISOString()} ${text(sketchOf(vs))}`);
              }
            }
          }
          expect(await storedState(t1)).toEqual(expected);
          expect(await storedState(t2)).toEqual(expected);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('merges duplicate keys of one call, skips empty sketches and raises the version on every change', async () => {
    const tenantId = randomUUID();
    const key: QuantileKey = {
      tenantId,
      projectId: randomUUID(),
      eventType: 'checkout',
      path: 'amount',
      interval: '1m',
      bucketMs: Date.UTC(2030, 0, 1),
    };
    await upsertQuantiles(sql, [
      { ...key, sketch: sketchOf([1, 2]) },
      { ...key, sketch: sketchOf([3]) },
      { ...key, bucketMs: 0, sketch: sketchOf([]) },
    ]);
    const [first] = await readQuantileBuckets(sql, [key, { ...key, bucketMs: 0 }]);
    expect(text(first!.sketch)).toBe(text(sketchOf([1, 2, 3])));
    await upsertQuantiles(sql, [{ ...key, sketch: sketchOf([-0, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE]) }]);
    const [second] = await readQuantileBuckets(sql, [key]);
    expect(text(second!.sketch)).toBe(text(sketchOf([1, 2, 3, 0, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE])));
    expect(second!.sketch.min).toBe(-Number.MAX_VALUE);
    expect(second!.sketch.max).toBe(Number.MAX_VALUE);
    expect(second!.version).toBeGreaterThan(first!.version);
    expect(await readQuantileBuckets(sql, [{ ...key, bucketMs: 0 }])).toEqual([]);
  });

  it('collapses beyond 2 048 bins exactly as the core, whatever the batches', async () => {
    // 3 000 values one bin apart, in three interleaved batches written in reverse.
    const values = oneBinApart(3000, 0);
    const key: QuantileKey = {
      tenantId: randomUUID(),
      projectId: randomUUID(),
      eventType: 'checkout',
      path: 'amount',
      interval: '1h',
      bucketMs: 0,
    };
    for (const r of [2, 1, 0])
      await upsertQuantiles(sql, [{ ...key, sketch: sketchOf(values.filter((_, k) => k % 3 === r)) }]);
    const [stored] = await readQuantileBuckets(sql, [key]);
    expect(stored!.sketch.bins).toHaveLength(MAX_BINS);
    expect(text(stored!.sketch)).toBe(text(sketchOf(values)));
  });

  it('merges into a bucket kept empty (as rebuild keeps buckets no event backs)', async () => {
    const key: QuantileKey = {
      tenantId: randomUUID(),
      projectId: randomUUID(),
      eventType: 'checkout',
      path: 'amount',
      interval: '1m',
      bucketMs: 0,
    };
    await sql`
      insert into quantile_sketches (tenant_id, project_id, event_type, path, interval, bucket_start, n, bins, counts, version)
      values (${key.tenantId}, ${key.projectId}, 'checkout', 'amount', '1m', ${new Date(0)}, 0, '{}', '{}', 1)`;
    expect(text((await readQuantileBuckets(sql, [key]))[0]!.sketch)).toBe(text(sketchOf([])));
    await upsertQuantiles(sql, [{ ...key, sketch: sketchOf([4, -2]) }]);
    const [stored] = await readQuantileBuckets(sql, [key]);
    expect(text(stored!.sketch)).toBe(text(sketchOf([4, -2])));
    expect(stored!.version).toBeGreaterThan(1);
  });
});

describe('readQuantileSketches', () => {
  it("merges the projects of each bucket like the core, with each project's version, only in [from, to)", async () => {
    const tenantId = randomUUID();
    const [p1, p2, p3] = [randomUUID(), randomUUID(), randomUUID()];
    const minute = 60_000;
    const start = Date.UTC(2030, 5, 1);
    const values = (seed: number) => Array.from({ length: 200 }, (_, i) => Math.exp(Math.sin(seed * 7919 + i) * 5));
    const rows: QuantileRow[] = [];
    for (let b = 0; b < 5; b++) {
      for (const [k, p] of [p1, p2, p3].entries()) {
        if (b === 1 && k === 1) continue; // project 2 has nothing in the second bucket
        rows.push({
          tenantId,
          projectId: p!,
          eventType: 'checkout',
          path: 'amount',
          interval: '1m',
          bucketMs: start + b * minute,
          sketch: sketchOf(values(b * 3 + k)),
        });
      }
    }
    rows.push({ ...rows[0]!, path: 'other', sketch: sketchOf([1e9]) });
    await upsertQuantiles(sql, rows);
    const read = await readQuantileSketches(sql, {
      tenantId,
      projectIds: [p1!, p2!],
      eventType: 'checkout',
      path: 'amount',
      interval: '1m',
      fromMs: start + minute,
      toMs: start + 4 * minute,
    });
    expect(read.map((r) => r.bucketMs)).toEqual([1, 2, 3].map((b) => start + b * minute));
    for (const r of read) {
      const b = (r.bucketMs - start) / minute;
      const expected =
        b === 1 ? sketchOf(values(b * 3)) : mergeSketches(sketchOf(values(b * 3)), sketchOf(values(b * 3 + 1)));
      expect(text(r.sketch)).toBe(text(expected));
      expect(Object.keys(r.versions).sort()).toEqual((b === 1 ? [p1!] : [p1!, p2!]).sort());
      for (const v of Object.values(r.versions)) expect(v).toBeGreaterThan(0);
    }
    expect(
      await readQuantileSketches(sql, {
        tenantId,
        projectIds: [],
        eventType: 'checkout',
        path: 'amount',
        interval: '1m',
        fromMs: 0,
        toMs: start * 2,
      }),
    ).toEqual([]);
  });
});

describe('the app role', () => {
  it('reads and writes quantile_sketches and runs its functions', async () => {
    const [row] = await sql<{ table: boolean; merge: boolean; bin: boolean; collapse: boolean }[]>`
      select has_table_privilege(${APP_ROLE}, 'quantile_sketches', 'select, insert, update, delete') as table,
             has_function_privilege(${APP_ROLE}, 'quantile_merge(int[], bigint[], int[], bigint[])', 'execute') as merge,
             has_function_privilege(${APP_ROLE}, 'quantile_bin(float8)', 'execute') as bin,
             has_function_privilege(${APP_ROLE}, 'quantile_collapse(int[], bigint[])', 'execute') as collapse`;
    expect(row).toEqual({ table: true, merge: true, bin: true, collapse: true });
  });
});
