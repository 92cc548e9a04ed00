// Mergeable percentile sketches (p50/p90/p95/p99 of numeric properties): a DDSketch-style histogram with
// logarithmic bins, computed exactly from the IEEE-754 bits of a value so that Postgres
// (migrations/014_quantile_sketches.sql quantile_bin) puts every value in the same bin as this module. Pure.
//
// Bins. A finite value v ≠ 0 with |v| = 2^E · (1 + m / 2^52) (m the 52-bit mantissa; subnormals are first scaled
// by 2^64, exactly) falls in sub-bucket j = #{ i ≥ 1 : MANTISSA_BOUNDS[i] ≤ m } of its octave, so
//   bin(v) = sign(v) · (BIN_OFFSET + 35·E + j),   bin(0) = bin(−0) = 0.
// Each octave [2^E, 2^(E+1)) is cut into 35 bins of ratio 2^(1/35) ≈ 1.0200; the bounds are fixed integers (no
// logarithm is evaluated, so no libm can round a value into a neighbouring bin). Every finite double has a bin:
// positive values 2 410 … 75 839, negative values the mirror image, zero 0, and bins sort like their values.
//
// Quantile. For n values sorted x_0 ≤ … ≤ x_(n−1), quantile(q) estimates x_r with r = ⌊q·(n − 1)⌋ (evaluated in
// double arithmetic, the lower quantile of DDSketch). It returns the exact minimum for r = 0 and the exact maximum
// for r = n − 1; otherwise the representative 2·L·U / (L + U) of the bin [L, U) holding x_r, clamped to
// [min, max]. Hence |q̂ − x_r| ≤ RELATIVE_ACCURACY · |x_r| (0.99 %) for every x_r that is zero or a normal double
// (|x_r| ≥ 2.2250738585072014e-308, i.e. every value up to ±1.7976931348623157e308). A subnormal x_r (|x_r| <
// 2.2e-308) has the representative rounded to the subnormal grid: |q̂ − x_r| ≤ 0.99 % · |x_r| + 2^-1075.
//
// Size. At most MAX_BINS (2 048) bins per sketch; beyond that the lowest bins are folded into the lowest kept one
// (collapse). That needs more than 2 048 populated bins: values of one sign spanning a ratio above
// 2^(2047/35) ≈ 4.0e17 (17.6 decades at 116.3 bins per decade), or negative and positive values occupying that
// many bins together. Only ranks inside the folded mass (the smallest values) then lose the bound; the result
// stays ≥ min. Collapse is a function of the multiset alone: folding then merging equals merging then folding,
// so any order or partition of merges gives the same sketch.
//
// No sum is kept: the exact decimal sums of numeric properties are the `sum:`/`n:` rollups.

/** Bins per octave: each bin spans a ratio of 2^(1/35) ≈ 1.0200. */
export const BINS_PER_OCTAVE = 35;
/** bin − BIN_OFFSET = 35·E + j for positive values, so bin 40 000 holds [1, 1.0200). */
export const BIN_OFFSET = 40_000;
/** Most bins a sketch keeps (see collapse above). */
export const MAX_BINS = 2048;
/**
 * The relative error bound of a quantile of normal doubles: max over the 35 bins of an octave of (U − L)/(U + L)
 * is 0.0099017789530031 (tanh(ln 2 / 70)); rounded up, with room for the representative's own rounding.
 */
export const RELATIVE_ACCURACY = 0.009902;

/**
 * Lower bounds of the 35 bins of an octave, as 52-bit mantissas: (2^(j/35) − 1) · 2^52 as V8 computed it once.
 * Fixed forever: stored sketches and the SQL function quantile_bin (migration 014) use these very integers.
 */
export const MANTISSA_BOUNDS: readonly number[] = [
  0, 90079240736122, 181960211262407, 275678949074399, 371272212475554, 468777494994557, 568233040091009,
  669677856155253, 773151731808218, 878695251507292, 986349811464326, 1096157635882032, 1208161793515132,
  1322406214562759, 1438935707898732, 1557795978646462, 1679033646105386, 1802696262035960, 1928832329310381,
  2057491320936351, 2188723699461350, 2322580936765020, 2459115534247440, 2598381043421183, 2740432086915264,
  2885324379899187, 3033114751935516, 3183861169269530, 3337622757564704, 3494459825092942, 3654433886388644,
  3817607686375907, 3984045224978288, 4153811782220820, 4326973943834098,
];

/** Smallest and largest |bin| of a non-zero value: 2^-1074 (5e-324) and 1.7976931348623157e308. */
export const MIN_ABS_BIN = BIN_OFFSET + BINS_PER_OCTAVE * -1074;
export const MAX_ABS_BIN = BIN_OFFSET + BINS_PER_OCTAVE * 1023 + BINS_PER_OCTAVE - 1;

/**
 * A sketch: `bins` strictly increasing, `counts[i]` (a positive integer) values in bin `bins[i]`, `count` their sum,
 * `min`/`max` the exact extreme values (null when empty; −0 is kept as 0). addValue mutates it; everything else
 * returns new sketches.
 */
export interface QuantileSketch {
  bins: number[];
  counts: number[];
  count: number;
  min: number | null;
  max: number | null;
}

const TWO_52 = 2 ** 52;
const TWO_64 = 2 ** 64;
const MIN_NORMAL = 2 ** -1022;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/** Representatives 2·L·U/(L + U) of the 35 bins of the octave [1, 2). */
const MANTISSA_REPRESENTATIVES = MANTISSA_BOUNDS.map((m, j) => {
  const lower = 1 + m / TWO_52;
  const upper = j + 1 < BINS_PER_OCTAVE ? 1 + MANTISSA_BOUNDS[j + 1]! / TWO_52 : 2;
  return (2 * lower * upper) / (lower + upper);
});

function assertFinite(value: number): void {
  // Ingest refuses NaN and ±Infinity (docs/architecture.md#rule-1-ack-means-durable); a RangeError is the record's fault.
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new RangeError('a quantile sketch takes finite numbers only');
}

/** The bin of a finite value (the sketch's key for it); RangeError for NaN and ±Infinity. */
export function sketchKey(value: number): number {
  assertFinite(value);
  if (value === 0) return 0;
  const abs = Math.abs(value);
  const subnormal = abs < MIN_NORMAL;
  f64[0] = subnormal ? abs * TWO_64 : abs; // exact: a power of two, and the product is normal
  const hi = u32[HI]!;
  const exponent = (hi >>> 20) - 1023 - (subnormal ? 64 : 0);
  const mantissa = (hi & 0xfffff) * 4294967296 + u32[LO]!;
  let lo = 0;
  let up = BINS_PER_OCTAVE - 1;
  while (lo < up) {
    const mid = (lo + up + 1) >> 1;
    if (MANTISSA_BOUNDS[mid]! <= mantissa) lo = mid;
    else up = mid - 1;
  }
  const bin = BIN_OFFSET + BINS_PER_OCTAVE * exponent + lo;
  return value > 0 ? bin : -bin;
}

/** The value a bin stands for: 0, or ±2·L·U/(L + U) of its range [L, U). */
export function binValue(bin: number): number {
  if (!isBin(bin)) throw new RangeError(`${bin} is not a quantile sketch bin`);
  if (bin === 0) return 0;
  const k = Math.abs(bin) - BIN_OFFSET;
  const exponent = Math.floor(k / BINS_PER_OCTAVE);
  // 2 ** exponent is exact from 2^-1074 to 2^1023; the product rounds only when it is subnormal.
  const v = MANTISSA_REPRESENTATIVES[k - BINS_PER_OCTAVE * exponent]! * 2 ** exponent;
  return bin > 0 ? v : -v;
}

function isBin(bin: number): boolean {
  const abs = Math.abs(bin);
  return Number.isInteger(bin) && (bin === 0 || (abs >= MIN_ABS_BIN && abs <= MAX_ABS_BIN));
}

export function emptySketch(): QuantileSketch {
  return { bins: [], counts: [], count: 0, min: null, max: null };
}

/** Number of values in the sketch. */
export function count(sketch: QuantileSketch): number {
  return sketch.count;
}

/** Adds one finite value (mutates the sketch); RangeError for NaN and ±Infinity. */
export function addValue(sketch: QuantileSketch, value: number): void {
  const bin = sketchKey(value);
  const v = value === 0 ? 0 : value;
  const { bins, counts } = sketch;
  let lo = 0;
  let up = bins.length;
  while (lo < up) {
    const mid = (lo + up) >> 1;
    if (bins[mid]! < bin) lo = mid + 1;
    else up = mid;
  }
  if (bins[lo] === bin) counts[lo]! += 1;
  else {
    bins.splice(lo, 0, bin);
    counts.splice(lo, 0, 1);
    if (bins.length > MAX_BINS) collapse(bins, counts);
  }
  sketch.count += 1;
  if (sketch.min === null || v < sketch.min) sketch.min = v;
  if (sketch.max === null || v > sketch.max) sketch.max = v;
}

/** A sketch of the given values. */
export function sketchOf(values: Iterable<number>): QuantileSketch {
  const s = emptySketch();
  for (const v of values) addValue(s, v);
  return s;
}

/** Keeps the MAX_BINS highest bins, folding the counts of every lower bin into the lowest kept one. */
function collapse(bins: number[], counts: number[]): void {
  const extra = bins.length - MAX_BINS;
  if (extra <= 0) return;
  let folded = 0;
  for (let i = 0; i <= extra; i++) folded += counts[i]!;
  counts[extra] = folded;
  bins.splice(0, extra);
  counts.splice(0, extra);
}

/** The sketch of all the values of the given sketches (which stay as they are): bin counts added, then collapsed. */
export function mergeSketches(...sketches: QuantileSketch[]): QuantileSketch {
  const nonEmpty = sketches.filter((s) => s.count > 0);
  if (nonEmpty.length === 0) return emptySketch();
  let bins: number[];
  let counts: number[];
  if (nonEmpty.length <= 2) {
    [bins, counts] = mergeSorted(nonEmpty[0]!, nonEmpty[1] ?? emptySketch());
  } else {
    // Many sketches (a day of buckets): add into a dense array over the span of their bins, then read it in order.
    let lowest = Infinity;
    let highest = -Infinity;
    for (const s of nonEmpty) {
      lowest = Math.min(lowest, s.bins[0]!);
      highest = Math.max(highest, s.bins[s.bins.length - 1]!);
    }
    const dense = new Float64Array(highest - lowest + 1);
    for (const s of nonEmpty) {
      for (let i = 0; i < s.bins.length; i++) {
        const at = s.bins[i]! - lowest;
        dense[at] = dense[at]! + s.counts[i]!;
      }
    }
    bins = [];
    counts = [];
    for (let i = 0; i < dense.length; i++) {
      if (dense[i] !== 0) {
        bins.push(i + lowest);
        counts.push(dense[i]!);
      }
    }
  }
  collapse(bins, counts);
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of nonEmpty) {
    total += s.count;
    min = Math.min(min, s.min!);
    max = Math.max(max, s.max!);
  }
  return { bins, counts, count: total, min, max };
}

function mergeSorted(a: QuantileSketch, b: QuantileSketch): [number[], number[]] {
  const bins: number[] = [];
  const counts: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.bins.length || j < b.bins.length) {
    const x = i < a.bins.length ? a.bins[i]! : Infinity;
    const y = j < b.bins.length ? b.bins[j]! : Infinity;
    if (x <= y) {
      bins.push(x);
      counts.push(a.counts[i++]! + (x === y ? b.counts[j++]! : 0));
    } else {
      bins.push(y);
      counts.push(b.counts[j++]!);
    }
  }
  return [bins, counts];
}

/**
 * The estimated q-quantile (0 ≤ q ≤ 1) of the sketch's values, null when it is empty: the value of rank
 * ⌊q·(n − 1)⌋ within RELATIVE_ACCURACY (see the head of this file); exactly min for rank 0 and max for rank n − 1.
 */
export function quantile(sketch: QuantileSketch, q: number): number | null {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new RangeError('a quantile is a number from 0 to 1');
  if (sketch.count === 0) return null;
  const rank = Math.floor(q * (sketch.count - 1));
  if (rank === 0) return sketch.min;
  if (rank === sketch.count - 1) return sketch.max;
  let seen = 0;
  let i = 0;
  while (i < sketch.bins.length - 1 && (seen += sketch.counts[i]!) <= rank) i++;
  return Math.min(Math.max(binValue(sketch.bins[i]!), sketch.min!), sketch.max!);
}

/** The stored form (Postgres columns, JSON): the same fields, checked. */
export interface SketchParts {
  bins: readonly number[];
  counts: readonly number[];
  count: number;
  min: number | null;
  max: number | null;
}

/**
 * A sketch from stored parts, after checking every invariant a sketch built here has (RangeError otherwise):
 * bins valid and strictly increasing, at most MAX_BINS, counts positive integers adding up to `count`, min and max
 * finite, null exactly when empty, max in the highest bin and min in (or, collapsed, below) the lowest.
 */
export function sketchFromParts(parts: SketchParts): QuantileSketch {
  const { bins, counts, count: n, min, max } = parts;
  const fail = (why: string): never => {
    throw new RangeError(`not a quantile sketch: ${why}`);
  };
  if (!Array.isArray(bins) || !Array.isArray(counts) || bins.length !== counts.length)
    fail('bins and counts differ in length');
  if (bins.length > MAX_BINS) fail(`more than ${MAX_BINS} bins`);
  let total = 0;
  for (let i = 0; i < bins.length; i++) {
    if (!isBin(bins[i]!) || (i > 0 && bins[i]! <= bins[i - 1]!)) fail('bins must be valid and strictly increasing');
    if (!Number.isSafeInteger(counts[i]) || counts[i]! <= 0) fail('counts must be positive integers');
    total += counts[i]!;
  }
  if (!Number.isSafeInteger(n) || n !== total) fail('count must be the sum of the counts');
  if (n === 0) {
    if (min !== null || max !== null) fail('an empty sketch has no min or max');
    return emptySketch();
  }
  if (
    typeof min !== 'number' ||
    typeof max !== 'number' ||
    !Number.isFinite(min) ||
    !Number.isFinite(max) ||
    min > max
  ) {
    fail('min and max must be finite numbers, min ≤ max');
  }
  const lo = sketchKey(min!);
  if (sketchKey(max!) !== bins[bins.length - 1] || lo > bins[0]! || (lo < bins[0]! && bins.length < MAX_BINS)) {
    fail('min and max must lie in the lowest and highest bins');
  }
  return { bins: [...bins], counts: [...counts], count: n, min: min === 0 ? 0 : min, max: max === 0 ? 0 : max };
}

const FORMAT = 'q1';

/**
 * Compact text (Redis): `q1;<count>;<min>;<max>;<entries>` where each entry is a bin's distance to the previous
 * one (the first: the bin itself), followed by `*<count>` when the count is not 1. The numbers are JavaScript's
 * shortest round-trip forms, so parseSketch gives back the very same sketch.
 */
export function serializeSketch(sketch: QuantileSketch): string {
  const entries: string[] = [];
  for (let i = 0; i < sketch.bins.length; i++) {
    const d = i === 0 ? sketch.bins[0]! : sketch.bins[i]! - sketch.bins[i - 1]!;
    entries.push(sketch.counts[i] === 1 ? String(d) : `${d}*${sketch.counts[i]}`);
  }
  return [FORMAT, sketch.count, sketch.min ?? '', sketch.max ?? '', entries.join(',')].join(';');
}

/** The sketch of serializeSketch's text (canonical form only); RangeError when the text is not one. */
export function parseSketch(text: string): QuantileSketch {
  const fields = text.split(';');
  if (fields.length !== 5 || fields[0] !== FORMAT) throw notSerialized();
  const num = (s: string): number => {
    const n = Number(s);
    if (String(n) !== s) throw notSerialized(); // only JavaScript's own shortest form (NaN, Infinity: refused below)
    return n;
  };
  const { bins, counts } = parseEntries(fields[4]!);
  const opt = (s: string) => (s === '' ? null : num(s));
  return sketchFromParts({ bins, counts, count: num(fields[1]!), min: opt(fields[2]!), max: opt(fields[3]!) });
}

const notSerialized = () => new RangeError('not a serialized quantile sketch');

/** `<bin>[*<count>],<delta>[*<count>],…` read by hand (a regular expression per entry costs ~8× the serialization). */
function parseEntries(s: string): { bins: number[]; counts: number[] } {
  const bins: number[] = [];
  const counts: number[] = [];
  let i = 0;
  // A canonical non-negative integer of at most 15 digits (no sign, no leading zero), starting at i.
  const integer = (): number => {
    const start = i;
    let value = 0;
    for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i)) value = value * 10 + (c - 48);
    if (i === start || i - start > 15 || (s.charCodeAt(start) === 48 && i - start > 1)) throw notSerialized();
    return value;
  };
  while (i < s.length) {
    const negative = bins.length === 0 && s.charCodeAt(i) === 45;
    if (negative) i++;
    const d = integer();
    if (negative && d === 0) throw notSerialized();
    bins.push(bins.length === 0 ? (negative ? -d : d) : bins[bins.length - 1]! + d);
    let c = 1;
    if (s.charCodeAt(i) === 42) {
      i++;
      c = integer();
      if (c <= 1) throw notSerialized();
    }
    counts.push(c);
    if (i < s.length && (s.charCodeAt(i++) !== 44 || i === s.length)) throw notSerialized();
  }
  return { bins, counts };
}
