// `npx tsx scripts/bench/timezone.ts [--n=N]`: ns per call of the zone-aware bucketStartIn (core/timezone.ts)
// against the UTC bucketStart (core/intervals.ts), measured in the same run. Not a test: no thresholds.
// The aggregate step calls it per event (per 10-second group, core/rollups.ts), so the streams below mimic a
// batch: timestamps near "now", in arrival order, one or several tenants' zones.
import { bucketStart, type Interval } from '../../core/intervals';
import { bucketRangeIn, bucketStartIn, nextBucketIn, parseTimeZone, type TimeZone } from '../../core/timezone';
import * as os from 'node:os';
import { loadAvg } from './sys';

const N = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 2_000_000);
const NOW = Date.parse('2026-03-29T00:30:00Z'); // Berlin springs forward at 01:00Z
const DAY = 86_400_000;

/** A deterministic stream of `n` timestamps: `spreadMs` behind NOW, jittered by up to `jitterMs`. */
function stream(n: number, spreadMs: number, jitterMs: number): Float64Array {
  const out = new Float64Array(n);
  let seed = 42;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) out[i] = Math.floor(NOW - spreadMs + (spreadMs * i) / n + (rnd() - 0.5) * jitterMs);
  return out;
}

let sink = 0;
function time(label: string, ts: Float64Array, f: (ms: number, i: number) => number): number {
  for (let i = 0; i < Math.min(ts.length, 200_000); i++) sink += f(ts[i]!, i); // warm up (JIT, zone caches)
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ts.length; i++) sink += f(ts[i]!, i);
  const ns = Number(process.hrtime.bigint() - t0) / ts.length;
  console.log(`${label.padEnd(64)} ${ns.toFixed(1).padStart(8)} ns/op`);
  return ns;
}

const berlin = parseTimeZone('Europe/Berlin');
const zones: TimeZone[] = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'].map(parseTimeZone);

const cpu = (os.cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
console.log(`# timezone buckets, ${N} calls per row; ${cpu}, ${os.cpus().length} cores, Node ${process.version}; load ${loadAvg()}`);
const batch = stream(N, 2 * 3_600_000, 60_000); // the last two hours, across Berlin's missing hour
const month = stream(N, 30 * DAY, 3 * DAY); // a month of late events, across the DST change
const intervals: Interval[] = ['1h', '1d'];
for (const interval of intervals) {
  const utc = time(`bucketStart ${interval} (UTC), batch`, batch, (ms) => bucketStart(ms, interval));
  const zoned = time(`bucketStartIn ${interval} Europe/Berlin, batch`, batch, (ms) => bucketStartIn(ms, interval, berlin));
  time(`bucketStartIn ${interval} Europe/Berlin, month`, month, (ms) => bucketStartIn(ms, interval, berlin));
  time(`bucketStartIn ${interval}, month, zone alternating among ${zones.length}`, month, (ms, i) => bucketStartIn(ms, interval, zones[i % zones.length]!));
  console.log(`  ratio zoned/UTC (batch, ${interval}): ${(zoned / utc).toFixed(2)}`);
}
time('bucketStartIn 5m Asia/Kathmandu (epoch-aligned), batch', batch, (ms) => bucketStartIn(ms, '5m', zones[3]!));
time('nextBucketIn 1d Europe/Berlin, month', month, (ms) => nextBucketIn(ms, '1d', berlin));

const intl = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hourCycle: 'h23', hour: 'numeric', minute: 'numeric' });
time('for scale: one Intl.DateTimeFormat#format per event', batch.subarray(0, Math.min(N, 200_000)), (ms) => intl.format(ms).length);

const t0 = process.hrtime.bigint();
const cold = parseTimeZone('Pacific/Chatham');
const first = bucketStartIn(NOW, '1d', cold);
console.log(`first call for a new zone (reads 50 days of offsets from Intl): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`);
const r0 = process.hrtime.bigint();
const year = bucketRangeIn(NOW - 365 * DAY, NOW, '1h', berlin).length;
console.log(`bucketRangeIn 1h over a year in Europe/Berlin (${year} buckets): ${(Number(process.hrtime.bigint() - r0) / 1e6).toFixed(2)} ms`);
if (sink === first) console.log(''); // keeps the results alive
