import fc from 'fast-check';
import {
  addValue,
  BIN_OFFSET,
  BINS_PER_OCTAVE,
  binValue,
  count,
  emptySketch,
  MANTISSA_BOUNDS,
  MAX_ABS_BIN,
  MAX_BINS,
  mergeSketches,
  MIN_ABS_BIN,
  parseSketch,
  quantile,
  RELATIVE_ACCURACY,
  serializeSketch,
  sketchFromParts,
  sketchKey,
  sketchOf,
  type QuantileSketch,
} from './quantile-sketch';

const MIN_NORMAL = 2 ** -1022;
const HALF_SUBNORMAL_GAP = 2 ** -1075;
const QS = [0, 0.5, 0.9, 0.95, 0.99, 1];

/** The reference quantile: the value of rank ⌊q·(n − 1)⌋ of the sorted values (−0 read as 0). */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

const sortedOf = (values: number[]) => values.map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b);

/** The documented bound: 0.99 % of |x| (plus half the subnormal gap when x is subnormal). */
function withinBound(estimate: number, exact: number): boolean {
  const slack = Math.abs(exact) < MIN_NORMAL ? HALF_SUBNORMAL_GAP : 0;
  return Math.abs(estimate - exact) <= RELATIVE_ACCURACY * Math.abs(exact) + slack;
}

/** Ranks the bound covers: all, or once collapsed those above the values folded into the lowest bin. */
function firstGuaranteedRank(sketch: QuantileSketch, sorted: number[]): number {
  if (sketch.bins.length < MAX_BINS || sketchKey(sketch.min!) === sketch.bins[0]) return 0;
  return sorted.filter((v) => sketchKey(v) < sketch.bins[0]!).length;
}

/** Returns whether the sketch collapsed. */
function checkAccuracy(values: number[], extraQs: number[] = []): boolean {
  const sketch = sketchOf(values);
  const sorted = sortedOf(values);
  const first = firstGuaranteedRank(sketch, sorted);
  for (const q of [...QS, ...extraQs]) {
    const rank = Math.floor(q * (sorted.length - 1));
    const estimate = quantile(sketch, q)!;
    const exact = exactQuantile(sorted, q);
    if (rank >= first || rank === 0) {
      if (!withinBound(estimate, exact)) throw new Error(`q=${q}: ${estimate} vs exact ${exact} (n=${values.length})`);
    }
    expect(estimate).toBeGreaterThanOrEqual(sorted[0]!);
    expect(estimate).toBeLessThanOrEqual(sorted[sorted.length - 1]!);
  }
  expect(quantile(sketch, 0)).toBe(sorted[0]);
  expect(quantile(sketch, 1)).toBe(sorted[sorted.length - 1]);
  expect(count(sketch)).toBe(values.length);
  return first > 0;
}

// Generated distributions: uniform variates u ∈ (0, 1] drawn by fast-check and transformed.
const unit = fc.double({ min: Number.EPSILON, max: 1, noNaN: true });
// size 'max': lengths spread over the whole range (fast-check's default keeps arrays to about ten elements).
const sizes = { minLength: 1, maxLength: 1500, size: 'max' } as const;
const uniform = fc
  .tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }))
  .chain(([lo, width]) =>
    fc.array(
      unit.map((u) => lo + u * width),
      sizes,
    ),
  );
const logNormal = fc
  .tuple(fc.double({ min: -20, max: 20, noNaN: true }), fc.double({ min: 0.1, max: 4, noNaN: true }))
  .chain(([mu, sigma]) =>
    fc.array(
      fc.tuple(unit, unit).map(([u1, u2]) => {
        const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        return Math.exp(mu + sigma * z);
      }),
      sizes,
    ),
  );
const pareto = fc
  .tuple(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.double({ min: 0.2, max: 3, noNaN: true }))
  .chain(([scale, shape]) =>
    fc.array(
      unit.map((u) => scale / u ** (1 / shape)),
      sizes,
    ),
  );
const mixedWithZeros = fc.array(
  fc.oneof(
    fc.constant(0),
    fc.constant(-0),
    fc.double({ min: -1e9, max: 1e9, noNaN: true }),
    fc.integer({ min: -1000, max: 1000 }),
  ),
  sizes,
);
const tiny = fc.array(
  fc.oneof(
    fc.double({ min: -1e-300, max: 1e-300, noNaN: true }),
    fc.double({ min: 5e-324, max: MIN_NORMAL * 4, noNaN: true }),
    fc.constantFrom(5e-324, -5e-324, MIN_NORMAL, -MIN_NORMAL, MIN_NORMAL - 5e-324),
  ),
  sizes,
);
const huge = fc.array(
  fc.oneof(
    fc.double({ min: 1e300, max: Number.MAX_VALUE, noNaN: true }),
    fc.double({ min: -Number.MAX_VALUE, max: -1e300, noNaN: true }),
    fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, 1.7976931348623155e308),
  ),
  sizes,
);
const anyFinite = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
  minLength: 1,
  maxLength: 3000,
  size: 'max',
});
const randomQs = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 });

describe('quantile accuracy against the exact (sorted) quantile', () => {
  const cases: [string, fc.Arbitrary<number[]>][] = [
    ['uniform', uniform],
    ['log-normal', logNormal],
    ['Pareto (heavy-tailed)', pareto],
    ['mixed sign with zeros', mixedWithZeros],
    ['tiny magnitudes and subnormals', tiny],
    ['huge magnitudes up to ±MAX_VALUE', huge],
    ['any finite doubles (collapses beyond 2 048 bins)', anyFinite],
  ];
  it.each(cases)('%s: p50/p90/p95/p99 and random q within 0.99 %%', (name, values) => {
    let collapsed = 0;
    fc.assert(
      fc.property(values, randomQs, (vs, qs) => {
        if (checkAccuracy(vs, qs)) collapsed++;
      }),
      { numRuns: 60 },
    );
    if (name.startsWith('any finite')) expect(collapsed).toBeGreaterThan(0);
  });

  it('holds on a large log-normal sample (100 000 values, every percentile)', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
    const values = Array.from({ length: 100_000 }, () =>
      Math.exp(3 + 2 * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())),
    );
    checkAccuracy(
      values,
      Array.from({ length: 101 }, (_, i) => i / 100),
    );
  });

  it('is exact for a single value, for zeros and at the extremes', () => {
    for (const v of [0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 0.1]) {
      const s = sketchOf([v]);
      for (const q of QS) expect(Object.is(quantile(s, q), v === 0 ? 0 : v)).toBe(true);
    }
    expect(quantile(sketchOf([0, 0, 0, 5]), 0.5)).toBe(0);
    expect(quantile(emptySketch(), 0.5)).toBeNull();
  });

  it('answers the lower quantile of rank ⌊q·(n − 1)⌋', () => {
    // 1..10: rank ⌊0.5·9⌋ = 4 → 5 (within 0.99 %), rank ⌊0.95·9⌋ = 8 → 9.
    const s = sketchOf([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(Math.abs(quantile(s, 0.5)! - 5)).toBeLessThanOrEqual(5 * RELATIVE_ACCURACY);
    expect(Math.abs(quantile(s, 0.95)! - 9)).toBeLessThanOrEqual(9 * RELATIVE_ACCURACY);
  });

  it('refuses NaN, ±Infinity and quantiles outside [0, 1]', () => {
    const s = emptySketch();
    for (const v of [NaN, Infinity, -Infinity]) {
      expect(() => addValue(s, v)).toThrow(RangeError);
      expect(() => sketchKey(v)).toThrow(RangeError);
    }
    expect(count(s)).toBe(0);
    for (const q of [-0.01, 1.01, NaN]) expect(() => quantile(sketchOf([1]), q)).toThrow(RangeError);
  });
});

describe('bins', () => {
  it('the mantissa bounds are (2^(j/35) − 1)·2^52, and every bin of an octave is within RELATIVE_ACCURACY', () => {
    expect(MANTISSA_BOUNDS).toHaveLength(BINS_PER_OCTAVE);
    let worst = 0;
    MANTISSA_BOUNDS.forEach((m, j) => {
      expect(Number.isSafeInteger(m)).toBe(true);
      expect(Math.abs(m - (2 ** (j / BINS_PER_OCTAVE) - 1) * 2 ** 52)).toBeLessThanOrEqual(2);
      const lower = 1 + m / 2 ** 52;
      const upper = j + 1 < BINS_PER_OCTAVE ? 1 + MANTISSA_BOUNDS[j + 1]! / 2 ** 52 : 2;
      worst = Math.max(worst, (upper - lower) / (upper + lower));
    });
    expect(worst).toBeCloseTo(Math.tanh(Math.LN2 / 70), 14);
    expect(worst).toBeLessThan(RELATIVE_ACCURACY);
    expect(RELATIVE_ACCURACY).toBeLessThan(0.01);
  });

  it('2 ** e is exact over the whole exponent range (binValue relies on it)', () => {
    let p = 1;
    for (let e = 0; e <= 1023; e++, p *= 2) expect(2 ** e).toBe(p);
    p = 1;
    for (let e = 0; e >= -1074; e--, p /= 2) expect(2 ** e).toBe(p);
  });

  it('covers every finite double; bins sort like the values; zero and −0 share bin 0', () => {
    expect(sketchKey(0)).toBe(0);
    expect(sketchKey(-0)).toBe(0);
    expect(sketchKey(5e-324)).toBe(MIN_ABS_BIN);
    expect(sketchKey(-5e-324)).toBe(-MIN_ABS_BIN);
    expect(sketchKey(Number.MAX_VALUE)).toBe(MAX_ABS_BIN);
    expect(sketchKey(-Number.MAX_VALUE)).toBe(-MAX_ABS_BIN);
    expect(sketchKey(1)).toBe(BIN_OFFSET);
    expect(sketchKey(2)).toBe(BIN_OFFSET + BINS_PER_OCTAVE);
    expect(sketchKey(MIN_NORMAL)).toBe(sketchKey(MIN_NORMAL - 5e-324) + 1);
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(sketchKey(lo)).toBeLessThanOrEqual(sketchKey(hi));
        expect(sketchKey(-a) + 0).toBe(0 - sketchKey(a));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts each bin bound and its predecessor in adjacent bins, in every octave', () => {
    // Normal octaves only: the subnormal grid is coarser than the bounds (the SQL agreement test covers it).
    for (const exponent of [-1022, -1021, -1, 0, 1, 500, 1023]) {
      for (let j = 1; j < BINS_PER_OCTAVE; j++) {
        const bound = (1 + MANTISSA_BOUNDS[j]! / 2 ** 52) * 2 ** exponent;
        const below = bound - bound * 2 ** -53;
        const prev = below < bound ? below : bound - bound * 2 ** -52;
        expect(sketchKey(bound)).toBe(BIN_OFFSET + BINS_PER_OCTAVE * exponent + j);
        expect(sketchKey(prev)).toBe(BIN_OFFSET + BINS_PER_OCTAVE * exponent + j - 1);
      }
    }
  });

  it('a bin stands for a value within RELATIVE_ACCURACY of everything in it (and the exact grid for subnormals)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(withinBound(binValue(sketchKey(v)), v)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(binValue(sketchKey(5e-324))).toBe(5e-324);
    expect(binValue(MAX_ABS_BIN)).toBeLessThanOrEqual(Number.MAX_VALUE);
    expect(() => binValue(MAX_ABS_BIN + 1)).toThrow(RangeError);
    expect(() => binValue(1)).toThrow(RangeError);
  });
});

describe('merging', () => {
  const values = fc.array(
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      fc.constant(0),
    ),
    { maxLength: 800, size: 'max' },
  );
  const text = (s: QuantileSketch) => serializeSketch(s);

  it('merge(a, b) is exactly the sketch of the concatenation (collapsed or not)', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        expect(text(mergeSketches(sketchOf(a), sketchOf(b)))).toBe(text(sketchOf([...a, ...b])));
      }),
      { numRuns: 200 },
    );
  });

  it('is commutative and associative, and any partition merged in any order gives the same sketch', () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        const [sa, sb, sc] = [sketchOf(a), sketchOf(b), sketchOf(c)];
        const whole = text(sketchOf([...a, ...b, ...c]));
        expect(text(mergeSketches(sb, sa))).toBe(text(mergeSketches(sa, sb)));
        expect(text(mergeSketches(mergeSketches(sa, sb), sc))).toBe(whole);
        expect(text(mergeSketches(sa, mergeSketches(sb, sc)))).toBe(whole);
        expect(text(mergeSketches(sc, sa, sb))).toBe(whole);
      }),
      { numRuns: 150 },
    );
    const parts = fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.nat(7)), {
      maxLength: 4000,
      size: 'max',
    });
    fc.assert(
      fc.property(parts, fc.infiniteStream(fc.nat()), (tagged, order) => {
        const groups: number[][] = Array.from({ length: 8 }, () => []);
        for (const [v, g] of tagged) groups[g]!.push(v);
        const sketches = groups.map((g) => sketchOf(g));
        const whole = text(sketchOf(tagged.map(([v]) => v)));
        expect(text(mergeSketches(...sketches))).toBe(whole);
        // A random order of pairwise merges.
        const pool = [...sketches];
        const it = order[Symbol.iterator]();
        while (pool.length > 1) {
          const i = it.next().value! % pool.length;
          const [x] = pool.splice(i, 1);
          const j = it.next().value! % pool.length;
          pool[j] = mergeSketches(pool[j]!, x!);
        }
        expect(text(pool[0]!)).toBe(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves its inputs as they were, and empty sketches are neutral', () => {
    const a = sketchOf([1, 2, 3]);
    const before = text(a);
    mergeSketches(a, sketchOf([4]), sketchOf([5]));
    expect(text(a)).toBe(before);
    expect(text(mergeSketches(a, emptySketch()))).toBe(before);
    expect(text(mergeSketches())).toBe(text(emptySketch()));
  });

  it('keeps at most MAX_BINS bins, folding the lowest into the lowest kept one', () => {
    // 3 000 values one bin apart: 2 999 bins → the 952 lowest fold into the 953rd.
    const values = Array.from(
      { length: 3000 },
      (_, k) => (1 + MANTISSA_BOUNDS[k % 35]! / 2 ** 52) * 2 ** Math.floor(k / 35 - 40),
    );
    const s = sketchOf(values);
    expect(s.bins).toHaveLength(MAX_BINS);
    expect(s.counts[0]).toBe(3000 - MAX_BINS + 1);
    expect(s.counts.slice(1).every((c) => c === 1)).toBe(true);
    expect(quantile(s, 0)).toBe(values[0]);
    checkAccuracy(values, [0.2, 0.31, 0.32, 0.5]);
  });
});

describe('serialization', () => {
  const sketches = fc
    .array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -5, max: 5 })), {
      maxLength: 3000,
      size: 'max',
    })
    .map((vs) => sketchOf(vs));

  it('round-trips through text and parts', () => {
    fc.assert(
      fc.property(sketches, (s) => {
        const t = serializeSketch(s);
        expect(parseSketch(t)).toEqual(s);
        expect(sketchFromParts(JSON.parse(JSON.stringify(s)))).toEqual(s);
      }),
      { numRuns: 150 },
    );
    expect(serializeSketch(sketchOf([1, 1, 2]))).toBe(`q1;3;1;2;${BIN_OFFSET}*2,${BINS_PER_OCTAVE}`);
    expect(serializeSketch(emptySketch())).toBe('q1;0;;;');
  });

  it('refuses anything that is not a sketch with a RangeError', () => {
    const bad = [
      '',
      'q2;0;;;',
      'q1;1;;;',
      'q1;1;1;1;',
      'q1;2;1;1;40000',
      'q1;1;1;1;40000*0',
      'q1;1;1;1;1',
      'q1;1;2;2;40000',
      'q1;2;1;2;40035,-35',
      'q1;1;NaN;1;40000',
      'q1;1;1;Infinity;40000',
      'q1;1;1;1;40000*1*1',
      'q1;1;1;1;40000,',
    ];
    for (const t of bad) expect(() => parseSketch(t)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.string(), (t) => {
        try {
          expect(serializeSketch(parseSketch(t))).toBe(t);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
        }
      }),
    );
  });
});
