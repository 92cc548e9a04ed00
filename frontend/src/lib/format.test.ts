import { formatAgo, oldestTime } from './format';
import { resolveRange } from './timeRange';

describe('formatAgo', () => {
  it.each([
    [-5_000, 'just now'],
    [400, 'just now'],
    [12_300, '12 s ago'],
    [3 * 60_000 + 5_000, '3 min ago'],
    [2 * 3_600_000, '2 h ago'],
  ])('formats %d ms as %s', (elapsed, expected) => {
    expect(formatAgo(elapsed)).toBe(expected);
  });
});

describe('oldestTime', () => {
  it('picks the earliest valid time and ignores missing ones', () => {
    expect(oldestTime(['2026-11-27T10:00:05Z', null, '2026-11-27T10:00:01Z', undefined, 'garbage'])).toBe(
      '2026-11-27T10:00:01Z',
    );
  });

  it('is null when there is no time', () => {
    expect(oldestTime([null, undefined])).toBeNull();
  });
});

describe('resolveRange', () => {
  it('ends now and starts the range length before', () => {
    const now = Date.parse('2026-11-27T11:00:00Z');

    expect(resolveRange('15m', now)).toEqual({ from: '2026-11-27T10:45:00.000Z', to: '2026-11-27T11:00:00.000Z' });
    expect(resolveRange('24h', now).from).toBe('2026-11-26T11:00:00.000Z');
  });
});
