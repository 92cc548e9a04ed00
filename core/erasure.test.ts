// The pure rules of erasure: which path ids are accepted, and which hours and days an erasure recomputes.
import fc from 'fast-check';
import { hourIntervals, MAX_PERSON_ID_LENGTH, personIdParam, recomputeScope } from './erasure';
import { AppError } from './errors';
import { TEN_SECOND_KEEP_MS } from './rollups';

const HOUR = 3_600_000;
const DAY = 86_400_000;

const rejects = (id: string) => {
  try {
    personIdParam(id);
    return false;
  } catch (e) {
    return e instanceof AppError && e.kind === 'invalid';
  }
};

describe('personIdParam', () => {
  it('accepts every well-formed id of 1 to 256 code points without NUL, as given', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }), (raw) => {
        const id = raw.replaceAll('\u0000', '') || 'x';
        if ([...id].length > MAX_PERSON_ID_LENGTH) return;
        expect(personIdParam(id)).toBe(id);
      }),
    );
    expect(personIdParam('🎉'.repeat(MAX_PERSON_ID_LENGTH))).toHaveLength(2 * MAX_PERSON_ID_LENGTH);
  });

  it('refuses empty, overlong, NUL and lone-surrogate ids with a 400', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 20 }), fc.string({ minLength: 0, maxLength: 20 }), (a, b) => {
        expect(rejects(`${a}\u0000${b}`)).toBe(true);
        expect(rejects(`${a}\ud800${b.replace(/^[\udc00-\udfff]/, '')}`)).toBe(true);
        expect(rejects(`${a.replace(/[\ud800-\udbff]$/, '')}\udfff${b}`)).toBe(true);
      }),
    );
    expect(rejects('')).toBe(true);
    expect(rejects('x'.repeat(MAX_PERSON_ID_LENGTH + 1))).toBe(true);
    expect(rejects('x'.repeat(MAX_PERSON_ID_LENGTH))).toBe(false);
  });
});

describe('recomputeScope', () => {
  it('gives each distinct UTC hour and day once, ascending, and only those (reference: a set of floors)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_000_000_000_000 }), { maxLength: 200 }), (times) => {
        const { hours, days } = recomputeScope(times);
        const refHours = [...new Set(times.map((t) => t - (t % HOUR)))].sort((a, b) => a - b);
        const refDays = [...new Set(times.map((t) => t - (t % DAY)))].sort((a, b) => a - b);
        expect(hours).toEqual(refHours);
        expect(days).toEqual(refDays);
      }),
    );
  });
});

describe('hourIntervals', () => {
  it('keeps 10s only for hours that still have 10s buckets, never 1d', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100, max: 100 }), (back) => {
        const now = 1_800_000_000_000;
        const hourMs = now - (now % HOUR) - back * HOUR;
        const ivs = hourIntervals(hourMs, now);
        expect(ivs).not.toContain('1d');
        expect(ivs).toEqual(expect.arrayContaining(['1m', '5m', '1h']));
        expect(ivs.includes('10s')).toBe(hourMs + HOUR > now - TEN_SECOND_KEEP_MS);
      }),
    );
  });
});
