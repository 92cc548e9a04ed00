// `npx tsx scripts/bench/timezone.ts [--n=N] [--rounds=R]`: ns per call of the zone-aware bucketStartIn (core/timezone.ts)
// against the UTC bucketStart (core/intervals.ts), measured in the same run. Not a test: no thresholds.
// The aggregate step calls it per event (per 10-second group, core/rollups.ts), so the streams below mimic a
// batch: timestamps near "now", in arrival order, one or several tenants' zones. Each row runs in its own
// process, so that no row's loop is slowed by the call sites the other rows left polymorphic; the best of R
// rounds is shown (the machine is shared).
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { bucketStart } from '../../core/intervals';
import { bucketRangeIn, bucketStartIn, nextBucketIn, parseTimeZone, type TimeZone } from '../../core/timezone';
import { loadAvg } from './sys';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const N = Number(arg('n') ?? 1_000_000);
const ROUNDS = Number(arg('rounds') ?? 3);
const NOW = Date.parse('2026-03-29T00:30:00Z'); // Berlin springs forward at 01:00Z
const DAY = 86_400_000;

/** A deterministic stream of `n` timestamps: `spreadMs` behind NOW, jittered by up to `jitterMs`. */
function stream(n: number, spreadMs: number, jitterMs: number): Float64Array {
  const out = new Float64Array(n);
  let seed = 42;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) out[i] = Math.floor(NOW - spreadMs + (spreadMs * i) / n + (rnd() - 0.5) * jitterMs);
  return out;
}

const berlin = parseTimeZone('Europe/Berlin');
const six: TimeZone[] = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'UTC',
].map(parseTimeZone);
const intl = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Berlin',
  hourCycle: 'h23',
  hour: 'numeric',
  minute: 'numeric',
});
const batch = () => stream(N, 2 * 3_600_000, 60_000); // the last two hours, across Berlin's missing hour
const month = () => stream(N, 30 * DAY, 3 * DAY); // a month of late events, across the DST change

const ROWS: { label: string; ts: () => Float64Array; f: (ms: number, i: number) => number }[] = [
  { label: 'bucketStart 1h (UTC), batch', ts: batch, f: (ms) => bucketStart(ms, '1h') },
  { label: 'bucketStartIn 1h Europe/Berlin, batch', ts: batch, f: (ms) => bucketStartIn(ms, '1h', berlin) },
  { label: 'bucketStartIn 1h Europe/Berlin, month', ts: month, f: (ms) => bucketStartIn(ms, '1h', berlin) },
  {
    label: 'bucketStartIn 1h, month, zone alternating among 6',
    ts: month,
    f: (ms, i) => bucketStartIn(ms, '1h', six[i % 6]!),
  },
  { label: 'bucketStart 1d (UTC), batch', ts: batch, f: (ms) => bucketStart(ms, '1d') },
  { label: 'bucketStartIn 1d Europe/Berlin, batch', ts: batch, f: (ms) => bucketStartIn(ms, '1d', berlin) },
  { label: 'bucketStartIn 1d Europe/Berlin, month', ts: month, f: (ms) => bucketStartIn(ms, '1d', berlin) },
  {
    label: 'bucketStartIn 1d, month, zone alternating among 6',
    ts: month,
    f: (ms, i) => bucketStartIn(ms, '1d', six[i % 6]!),
  },
  {
    label: 'bucketStartIn 5m Asia/Kathmandu (epoch-aligned), batch',
    ts: batch,
    f: (ms) => bucketStartIn(ms, '5m', six[3]!),
  },
  { label: 'nextBucketIn 1d Europe/Berlin, month', ts: month, f: (ms) => nextBucketIn(ms, '1d', berlin) },
  {
    label: 'for scale: one Intl.DateTimeFormat#format per event',
    ts: () => batch().subarray(0, 200_000),
    f: (ms) => intl.format(ms).length,
  },
];

function runRow(k: number): void {
  const { ts: make, f } = ROWS[k]!;
  const ts = make();
  let sink = 0;
  for (let i = 0; i < Math.min(ts.length, 200_000); i++) sink += f(ts[i]!, i); // warm up: JIT, zone caches
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ts.length; i++) sink += f(ts[i]!, i);
  const ns = Number(process.hrtime.bigint() - t0) / ts.length;
  process.stdout.write(JSON.stringify({ ns, sink }));
}

function main(): void {
  const cpu = (os.cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  console.log(
    `# timezone buckets, ${N} calls per row, best of ${ROUNDS}; ${cpu}, ${os.cpus().length} cores, Node ${process.version}; load ${loadAvg()}`,
  );
  const ns: number[] = [];
  ROWS.forEach((row, k) => {
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawnSync(process.execPath, [...process.execArgv, __filename, `--row=${k}`, `--n=${N}`], {
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(`row ${k} failed: ${child.stderr}`);
      ns[k] = Math.min(ns[k] ?? Infinity, (JSON.parse(child.stdout) as { ns: number }).ns);
    }
    console.log(`${row.label.padEnd(64)} ${ns[k]!.toFixed(1).padStart(8)} ns/op`);
  });
  console.log(`ratio zoned/UTC, batch: 1h ${(ns[1]! / ns[0]!).toFixed(2)}, 1d ${(ns[5]! / ns[4]!).toFixed(2)}`);

  const t0 = process.hrtime.bigint();
  bucketStartIn(NOW, '1d', parseTimeZone('Pacific/Chatham'));
  console.log(
    `first call for a new zone (reads 50 days of offsets from Intl): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`,
  );
  for (const pass of ['cold', 'warm']) {
    const r0 = process.hrtime.bigint();
    const n = bucketRangeIn(NOW - 365 * DAY, NOW, '1h', berlin).length;
    console.log(
      `bucketRangeIn 1h over a year in Europe/Berlin, ${pass} (${n} buckets): ${(Number(process.hrtime.bigint() - r0) / 1e6).toFixed(2)} ms`,
    );
  }
}

const row = arg('row');
if (row === undefined) main();
else runRow(Number(row));
