import { backoffDelay, parseRetryAfter } from './backoff';
import { uuidv7 } from './uuid';

describe('backoffDelay', () => {
  it('doubles from the base, with equal jitter in [step/2, step], capped', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 200, 30_000, () => 0))).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 200, 30_000, () => 0.999999))).toEqual([200, 400, 800, 1600]);
    expect(backoffDelay(8, 200, 30_000, () => 0.999999)).toBe(30_000);
    expect(backoffDelay(1000, 200, 30_000, () => 0.5)).toBe(22_500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
  });
});

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID carrying the time, and unique', () => {
    const t = Date.parse('2026-11-27T10:00:00.123Z');
    const id = uuidv7(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    expect(uuidv7(t + 1) > uuidv7(t)).toBe(true);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidv7(t))).size).toBe(10_000);
  });
});
