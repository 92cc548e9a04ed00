import fc from 'fast-check';
import { absoluteRangeProblem, resolveRange } from './timeRange';

describe('absoluteRangeProblem', () => {
  it('asks for both times, then for from before to', () => {
    expect(absoluteRangeProblem('', '2026-11-27T10:00:00.000Z')).toBe('Enter both times.');
    expect(absoluteRangeProblem('2026-11-27T10:00:00.000Z', '')).toBe('Enter both times.');
    expect(absoluteRangeProblem('2026-11-27T10:00:00.000Z', '2026-11-27T10:00:00.000Z')).toBe(
      '“From” must be before “To”.',
    );
    expect(absoluteRangeProblem('2026-11-27T10:00:00.000Z', '2026-11-27T10:00:01.000Z')).toBeNull();
  });

  it('accepts exactly the ranges whose start is before their end', () => {
    const instant = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString());
    fc.assert(
      fc.property(instant, instant, (from, to) => {
        expect(absoluteRangeProblem(from, to) === null).toBe(Date.parse(from) < Date.parse(to));
      }),
    );
  });
});

describe('resolveRange', () => {
  it('ends now and lasts the range', () => {
    expect(resolveRange('1h', Date.UTC(2026, 10, 27, 10))).toEqual({
      from: '2026-11-27T09:00:00.000Z',
      to: '2026-11-27T10:00:00.000Z',
    });
  });
});
