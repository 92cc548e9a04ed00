import { bucketCount, bucketRange, bucketStart, parseDuration } from './intervals';

describe('buckets', () => {
  it('aligns to UTC interval boundaries', () => {
    const t = Date.parse('2026-11-27T10:07:31.250Z');
    expect(new Date(bucketStart(t, '10s')).toISOString()).toBe('2026-11-27T10:07:30.000Z');
    expect(new Date(bucketStart(t, '5m')).toISOString()).toBe('2026-11-27T10:05:00.000Z');
    expect(new Date(bucketStart(t, '1d')).toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });

  it('lists every bucket whose start lies in [floor(from), to)', () => {
    const from = Date.parse('2026-11-27T10:00:30Z');
    const to = Date.parse('2026-11-27T10:03:00Z');
    expect(bucketRange(from, to, '1m').map((b) => new Date(b).toISOString().slice(11, 16))).toEqual([
      '10:00',
      '10:01',
      '10:02',
    ]);
    expect(bucketCount(from, to, '1m')).toBe(3);
    expect(bucketCount(from, Date.parse('2026-11-27T10:03:00.001Z'), '1m')).toBe(4);
  });
});

describe('parseDuration', () => {
  it('reads API durations and refuses others', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('5 m')).toBeUndefined();
    expect(parseDuration('1w')).toBeUndefined();
  });
});
