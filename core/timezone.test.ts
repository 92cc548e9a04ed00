import fc from 'fast-check';
import { AppError } from './errors';
import { bucketStart, INTERVALS, type Interval } from './intervals';
import {
  bucketCountIn,
  bucketRangeIn,
  bucketStartIn,
  isZoned,
  nextBucketIn,
  offsetTransitions,
  parseTimeZone,
  utcOffsetMs,
  UTC_ZONE,
  type TimeZone,
} from './timezone';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const tz = (name: string) => parseTimeZone(name);
const ALL_ZONES = Intl.supportedValuesOf('timeZone');
const Y1970 = at('1970-01-01T00:00:00Z');
const Y2100 = at('2100-01-01T00:00:00Z');

/** A clock the test moves by hand; the code under test sees only the instants it returns. */
class TestClock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The distinct buckets (with their lengths in minutes) that a ticking clock passes through until `untilMs`. */
function bucketsSeen(clock: TestClock, untilMs: number, stepMs: number, interval: Interval, zone: TimeZone): string[] {
  const seen: string[] = [];
  let last = NaN;
  for (; clock.now() < untilMs; clock.advance(stepMs)) {
    const b = bucketStartIn(clock.now(), interval, zone);
    if (b !== last) seen.push(`${iso(b)} ${(nextBucketIn(b, interval, zone) - b) / MIN}m`);
    last = b;
  }
  return seen;
}

/** Bucket starts of [from, to) with their lengths in minutes. */
function buckets(from: string, to: string, interval: Interval, zone: string): string[] {
  const z = tz(zone);
  return bucketRangeIn(at(from), at(to), interval, z).map(
    (b) => `${iso(b)} ${(nextBucketIn(b, interval, z) - b) / MIN}m`,
  );
}

// ---- the reference: local fields straight from Intl.DateTimeFormat, walked in 10-second steps --------------

const refFormats = new Map<string, { format: Intl.DateTimeFormat; seen: Map<number, number> }>();

/** Local wall time at `ms` as epoch-like milliseconds, from the fields Intl shows (remembered: Intl is slow). */
function wall(zone: string, ms: number): number {
  let f = refFormats.get(zone);
  if (!f) {
    // sv-SE shows "2026-01-15 10:00:00", which Date.parse reads back as the fields of a UTC time.
    const opts = {
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    } as const;
    f = { format: new Intl.DateTimeFormat('sv-SE', { timeZone: zone, ...opts }), seen: new Map() };
    refFormats.set(zone, f);
  }
  const sec = Math.floor(ms / 1000) * 1000;
  let w = f.seen.get(sec);
  if (w === undefined) {
    w = Date.parse(`${f.format.format(sec).replace(' ', 'T')}Z`);
    if (Number.isNaN(w)) throw new Error(`unexpected Intl output ${f.format.format(sec)}`);
    if (f.seen.size > 50_000) f.seen.clear();
    f.seen.set(sec, w);
  }
  return w + (ms - sec);
}

const floorTo = (w: number, unit: number) => Math.floor(w / unit) * unit;
const STEP = 10_000;

/** 1h: a start is an instant whose clock shows a whole hour, or that jumps forward into a new hour. */
function isHourStart(zone: string, u: number): boolean {
  const w = wall(zone, u);
  return w % HOUR === 0 || floorTo(w, HOUR) > floorTo(wall(zone, u - 1), HOUR);
}

/** Something happens in (p, q]: the local hour changes or the clock jumps. */
function eventful(zone: string, p: number, q: number, unit: number): boolean {
  const wp = wall(zone, p);
  const wq = wall(zone, q);
  return floorTo(wp, unit) !== floorTo(wq, unit) || wq - wp !== q - p;
}

/**
 * The latest 1h start <= t: walks back minute by minute, in 10-second steps within a minute where something
 * happens (a start that is no whole hour is a jump, which makes its minute eventful).
 */
function refHourStart(zone: string, t: number): number {
  let s = floorTo(t, STEP);
  for (; s % MIN !== 0; s -= STEP) if (isHourStart(zone, s)) return s;
  for (;;) {
    const p = s - MIN;
    if (eventful(zone, p, s, HOUR)) {
      for (let u = s; u > p; u -= STEP) if (isHourStart(zone, u)) return u;
    } else if (wall(zone, s) % HOUR === 0) {
      return s;
    }
    s = p;
  }
}

/**
 * 1d: the latest instant <= t at which the highest local date shown so far increases (a day starts when the
 * clock first reaches its date). Walks forward over the two days before t, hour by hour, refining in 5-minute
 * and then 10-second steps where something happens.
 */
function refDayStart(zone: string, t: number): number {
  const end = floorTo(t, STEP);
  const begin = end - 2 * DAY;
  let high = wall(zone, begin);
  let last = NaN;
  const walk = (p: number, q: number, step: number): void => {
    for (let u = p + step; u <= q; u += step) {
      const w = wall(zone, u);
      if (step === STEP) {
        if (floorTo(w, DAY) > floorTo(high, DAY)) last = u;
      } else if (floorTo(w, DAY) > floorTo(high, DAY) || w - wall(zone, u - step) !== step) {
        walk(u - step, u, step === HOUR ? 5 * MIN : STEP);
      }
      high = Math.max(high, w);
    }
  };
  const firstHour = Math.min(end, Math.ceil(begin / HOUR) * HOUR);
  walk(begin, firstHour, STEP);
  walk(firstHour, floorTo(end, HOUR), HOUR);
  walk(floorTo(end, HOUR), end, STEP);
  if (Number.isNaN(last)) throw new Error(`no day start within two days before ${iso(t)} in ${zone}`);
  return last;
}

const refStart = (zone: string, t: number, interval: '1h' | '1d') =>
  interval === '1h' ? refHourStart(zone, t) : refDayStart(zone, t);

/** Checks one instant against the reference; returns a description of what differs, or undefined. */
function checkAgainstReference(zone: string, t: number, interval: '1h' | '1d'): string | undefined {
  const z = tz(zone);
  const s = bucketStartIn(t, interval, z);
  const n = nextBucketIn(t, interval, z);
  const where = `${zone} ${interval} at ${iso(t)}: start ${iso(s)}, next ${iso(n)}`;
  if (!(s <= t && t < n)) return `${where}: not start <= t < next`;
  if (s % STEP !== 0) return `${where}: start is not a whole 10 s`;
  const ref = refStart(zone, t, interval);
  if (s !== ref) return `${where}: reference start ${iso(ref)}`;
  if (refStart(zone, n, interval) !== n) return `${where}: next is not a start by the reference`;
  if (refStart(zone, n - 1, interval) !== s) return `${where}: the reference sees another start before next`;
  const unit = interval === '1h' ? HOUR : DAY;
  if (wall(zone, s) % unit !== 0 && floorTo(wall(zone, s), unit) <= floorTo(wall(zone, s - 1), unit))
    return `${where}: start is no local ${interval === '1h' ? 'hour' : 'midnight'}`;
  return undefined;
}

describe('parseTimeZone', () => {
  const intlName = (name: string) => new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;

  it('returns the canonical name Intl reports, fixing case and resolving links', () => {
    expect(parseTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(parseTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(parseTimeZone('utc')).toBe('UTC');
    expect(parseTimeZone('Etc/UTC')).toBe('UTC');
    expect(parseTimeZone('US/Eastern')).toBe('America/New_York');
    // Kolkata and Calcutta are one zone; which name is canonical is this engine's ICU's choice.
    expect(parseTimeZone('Asia/Kolkata')).toBe(intlName('Asia/Kolkata'));
    expect(parseTimeZone('asia/calcutta')).toBe(parseTimeZone('Asia/Kolkata'));
    expect(UTC_ZONE).toBe(parseTimeZone('UTC'));
  });

  it('accepts every zone Intl lists, and is idempotent', () => {
    for (const name of ALL_ZONES) expect(parseTimeZone(parseTimeZone(name))).toBe(parseTimeZone(name));
  });

  const refusal = (name: string): AppError => {
    try {
      parseTimeZone(name);
    } catch (e) {
      return e as AppError;
    }
    throw new Error(`${name} was accepted`);
  };

  it.each(['+05:30', '-0800', 'UTC+2', 'GMT-03:00', '+5', '\u221205:00'])(
    'refuses the UTC offset %s, saying to send an IANA name',
    (name) => {
      const e = refusal(name);
      expect(e).toBeInstanceOf(AppError);
      expect(e.kind).toBe('invalid');
      expect(e.code).toBe('invalid_timezone');
      expect(e.message).toContain('UTC offset');
      expect(e.message).toContain('IANA time zone name such as "Europe/Berlin"');
    },
  );

  it.each(['Mars/Olympus_Mons', 'Europe/Berln', 'local', 'Europe/Berlin ', '', 'x'.repeat(200), 'Europe/../Berlin'])(
    'refuses %j',
    (name) => {
      const e = refusal(name);
      expect(e.code).toBe('invalid_timezone');
      expect(e.message).toContain('"Europe/Berlin"');
      expect(e.message.length).toBeLessThan(250);
    },
  );
});

describe('epoch-aligned intervals', () => {
  it('10s, 1m and 5m are the UTC buckets in every zone', () => {
    const zones = ['Asia/Kathmandu', 'Asia/Kolkata', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham'].map(
      tz,
    );
    fc.assert(
      fc.property(
        fc.integer({ min: Y1970, max: Y2100 }),
        fc.constantFrom(...zones),
        fc.constantFrom<Interval>('10s', '1m', '5m'),
        (t, z, i) => {
          expect(isZoned(i)).toBe(false);
          expect(bucketStartIn(t, i, z)).toBe(bucketStart(t, i));
          expect(nextBucketIn(t, i, z)).toBe(
            bucketStart(t, i) + { '10s': 10_000, '1m': MIN, '5m': 5 * MIN }[i as '10s'],
          );
        },
      ),
    );
    expect(INTERVALS.filter(isZoned)).toEqual(['1h', '1d']);
  });

  it('which is local alignment too: every offset since 1980 is a whole multiple of 15 minutes', () => {
    // Sampled per zone at a fixed set of instants, and at every change of a random year.
    const from = at('1980-01-01T00:00:00Z');
    for (const zone of ALL_ZONES) {
      for (let k = 0; k < 24; k++) {
        const t = from + Math.floor(((Y2100 - from) * (k + 0.37)) / 24);
        expect([zone, Math.abs((wall(zone, t) - t) % (15 * MIN))]).toEqual([zone, 0]);
      }
    }
    fc.assert(
      fc.property(fc.constantFrom(...ALL_ZONES), fc.integer({ min: 1980, max: 2099 }), (zone, year) => {
        for (const c of offsetTransitions(tz(zone), Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1))) {
          expect(Math.abs(c.offsetBeforeMs % (15 * MIN))).toBe(0);
          expect(Math.abs(c.offsetAfterMs % (15 * MIN))).toBe(0);
          // Since 2023 every change falls on a whole 5 minutes too, so 5m buckets nest in local hours and days.
          if (year >= 2023) expect(Math.abs(c.atMs % (5 * MIN))).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('days and hours across DST, with a ticking clock', () => {
  it('Europe/Berlin: the spring-forward day lasts 23 h, and 1h buckets skip the missing 02:00', () => {
    const clock = new TestClock(at('2025-03-29T22:50:00Z'));
    expect(bucketsSeen(clock, at('2025-03-31T00:00:00Z'), 10 * MIN, '1d', tz('Europe/Berlin'))).toEqual([
      '2025-03-28T23:00:00.000Z 1440m',
      '2025-03-29T23:00:00.000Z 1380m',
      '2025-03-30T22:00:00.000Z 1440m',
    ]);
    // Local 00:00, 01:00 (CET), then 03:00 (CEST): every bucket one hour long.
    expect(
      bucketsSeen(
        new TestClock(at('2025-03-29T23:00:00Z')),
        at('2025-03-30T02:00:00Z'),
        10_000,
        '1h',
        tz('Europe/Berlin'),
      ),
    ).toEqual(['2025-03-29T23:00:00.000Z 60m', '2025-03-30T00:00:00.000Z 60m', '2025-03-30T01:00:00.000Z 60m']);
  });

  it('Europe/Berlin: the fall-back day lasts 25 h, and the repeated 02:00 is two 1h buckets', () => {
    const clock = new TestClock(at('2025-10-25T21:55:00Z'));
    expect(bucketsSeen(clock, at('2025-10-27T00:00:00Z'), 10 * MIN, '1d', tz('Europe/Berlin'))).toEqual([
      '2025-10-24T22:00:00.000Z 1440m',
      '2025-10-25T22:00:00.000Z 1500m',
      '2025-10-26T23:00:00.000Z 1440m',
    ]);
    // 02:00 CEST at 00:00Z and 02:00 CET at 01:00Z.
    expect(buckets('2025-10-26T00:00:00Z', '2025-10-26T02:00:00Z', '1h', 'Europe/Berlin')).toEqual([
      '2025-10-26T00:00:00.000Z 60m',
      '2025-10-26T01:00:00.000Z 60m',
    ]);
    expect(bucketStartIn(at('2025-10-26T00:59:59.999Z'), '1h', tz('Europe/Berlin'))).toBe(at('2025-10-26T00:00:00Z'));
    expect(bucketStartIn(at('2025-10-26T01:00:00Z'), '1h', tz('Europe/Berlin'))).toBe(at('2025-10-26T01:00:00Z'));
  });

  it('America/New_York: 23 h and 25 h days; hours around the missing 02:00 and the repeated 01:00', () => {
    const ny = tz('America/New_York');
    expect(buckets('2025-03-08T12:00:00Z', '2025-03-10T12:00:00Z', '1d', 'America/New_York')).toEqual([
      '2025-03-08T05:00:00.000Z 1440m',
      '2025-03-09T05:00:00.000Z 1380m',
      '2025-03-10T04:00:00.000Z 1440m',
    ]);
    expect(buckets('2025-11-01T12:00:00Z', '2025-11-03T12:00:00Z', '1d', 'America/New_York')).toEqual([
      '2025-11-01T04:00:00.000Z 1440m',
      '2025-11-02T04:00:00.000Z 1500m',
      '2025-11-03T05:00:00.000Z 1440m',
    ]);
    // Spring: 01:00 EST (06:00Z), then 03:00 EDT (07:00Z).
    expect(
      bucketsSeen(new TestClock(at('2025-03-09T05:30:00Z')), at('2025-03-09T08:00:00Z'), 15 * MIN, '1h', ny),
    ).toEqual(['2025-03-09T05:00:00.000Z 60m', '2025-03-09T06:00:00.000Z 60m', '2025-03-09T07:00:00.000Z 60m']);
    // Fall: 01:00 EDT (05:00Z), 01:00 EST (06:00Z), 02:00 EST (07:00Z).
    expect(
      bucketsSeen(new TestClock(at('2025-11-02T05:00:00Z')), at('2025-11-02T08:00:00Z'), 15 * MIN, '1h', ny),
    ).toEqual(['2025-11-02T05:00:00.000Z 60m', '2025-11-02T06:00:00.000Z 60m', '2025-11-02T07:00:00.000Z 60m']);
    // With whole-hour offsets, 1h buckets are the UTC hours all year.
    fc.assert(
      fc.property(
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') }),
        (t) => bucketStartIn(t, '1h', ny) === bucketStart(t, '1h'),
      ),
    );
  });

  it('Asia/Kolkata (+05:30): days start at 18:30Z, hours at UTC :30', () => {
    const z = tz('Asia/Kolkata');
    expect(bucketStartIn(at('2026-01-15T18:29:59.999Z'), '1d', z)).toBe(at('2026-01-14T18:30:00Z'));
    expect(bucketStartIn(at('2026-01-15T18:30:00Z'), '1d', z)).toBe(at('2026-01-15T18:30:00Z'));
    expect(
      bucketsSeen(new TestClock(at('2026-01-15T10:00:00Z')), at('2026-01-15T12:00:00Z'), 20 * MIN, '1h', z),
    ).toEqual(['2026-01-15T09:30:00.000Z 60m', '2026-01-15T10:30:00.000Z 60m', '2026-01-15T11:30:00.000Z 60m']);
    expect(bucketCountIn(at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'), '1d', z)).toBe(32);
  });

  it('Asia/Kathmandu (+05:45): days start at 18:15Z, hours at UTC :15', () => {
    const z = tz('Asia/Kathmandu');
    expect(bucketStartIn(at('2026-06-01T18:14:59Z'), '1d', z)).toBe(at('2026-05-31T18:15:00Z'));
    expect(bucketStartIn(at('2026-06-01T18:15:00Z'), '1d', z)).toBe(at('2026-06-01T18:15:00Z'));
    expect(buckets('2026-06-01T10:00:00Z', '2026-06-01T12:00:00Z', '1h', 'Asia/Kathmandu')).toEqual([
      '2026-06-01T09:15:00.000Z 60m',
      '2026-06-01T10:15:00.000Z 60m',
      '2026-06-01T11:15:00.000Z 60m',
    ]);
    expect(utcOffsetMs(at('2026-06-01T00:00:00Z'), z)).toBe(5 * HOUR + 45 * MIN);
  });

  it('UTC: the same buckets as core/intervals.ts', () => {
    fc.assert(
      fc.property(fc.integer({ min: Y1970, max: Y2100 }), fc.constantFrom<Interval>(...INTERVALS), (t, i) => {
        expect(bucketStartIn(t, i, UTC_ZONE)).toBe(bucketStart(t, i));
      }),
    );
    expect(offsetTransitions(UTC_ZONE, Y1970, Y1970 + 400 * DAY)).toEqual([]);
  });

  it('Australia/Lord_Howe (30-minute DST): a 23.5 h and a 24.5 h day; a 30-minute and a 90-minute hour', () => {
    // Spring, 2024-10-06 02:00 +10:30 → 02:30 +11 (15:30Z): local hour 02 starts at the jump and lasts 30 minutes.
    expect(buckets('2024-10-05T13:00:00Z', '2024-10-05T17:00:00Z', '1h', 'Australia/Lord_Howe')).toEqual([
      '2024-10-05T12:30:00.000Z 60m',
      '2024-10-05T13:30:00.000Z 60m',
      '2024-10-05T14:30:00.000Z 60m',
      '2024-10-05T15:30:00.000Z 30m',
      '2024-10-05T16:00:00.000Z 60m',
    ]);
    expect(buckets('2024-10-05T00:00:00Z', '2024-10-06T14:00:00Z', '1d', 'Australia/Lord_Howe')).toEqual([
      '2024-10-04T13:30:00.000Z 1440m',
      '2024-10-05T13:30:00.000Z 1410m',
      '2024-10-06T13:00:00.000Z 1440m',
    ]);
    // Fall, 2025-04-06 02:00 +11 → 01:30 +10:30 (15:00Z): local hour 01 lasts 90 minutes, until 02:00 +10:30.
    expect(buckets('2025-04-05T13:00:00Z', '2025-04-05T16:00:00Z', '1h', 'Australia/Lord_Howe')).toEqual([
      '2025-04-05T13:00:00.000Z 60m',
      '2025-04-05T14:00:00.000Z 90m',
      '2025-04-05T15:30:00.000Z 60m',
    ]);
    expect(buckets('2025-04-05T00:00:00Z', '2025-04-06T14:00:00Z', '1d', 'Australia/Lord_Howe')).toEqual([
      '2025-04-04T13:00:00.000Z 1440m',
      '2025-04-05T13:00:00.000Z 1470m',
      '2025-04-06T13:30:00.000Z 1440m',
    ]);
  });

  it('a midnight that does not exist: the day starts at the first instant of its date', () => {
    // America/Santiago, 2024-09-08 00:00 -04 → 01:00 -03: the 8th starts at local 01:00 (04:00Z) and lasts 23 h.
    expect(buckets('2024-09-07T12:00:00Z', '2024-09-09T12:00:00Z', '1d', 'America/Santiago')).toEqual([
      '2024-09-07T04:00:00.000Z 1440m',
      '2024-09-08T04:00:00.000Z 1380m',
      '2024-09-09T03:00:00.000Z 1440m',
    ]);
    expect(buckets('2024-09-08T03:00:00Z', '2024-09-08T06:00:00Z', '1h', 'America/Santiago')).toEqual([
      '2024-09-08T03:00:00.000Z 60m',
      '2024-09-08T04:00:00.000Z 60m',
      '2024-09-08T05:00:00.000Z 60m',
    ]);
    // Asia/Beirut, 2022-03-27 00:00 +02 → 01:00 +03 (22:00Z on the 26th).
    expect(buckets('2022-03-26T12:00:00Z', '2022-03-27T22:00:00Z', '1d', 'Asia/Beirut')).toEqual([
      '2022-03-25T22:00:00.000Z 1440m',
      '2022-03-26T22:00:00.000Z 1380m',
      '2022-03-27T21:00:00.000Z 1440m',
    ]);
  });

  it('a midnight shown twice: the day, once begun, is not restarted', () => {
    // Atlantic/Azores, 2025-10-26 01:00 +00 → 00:00 -01: one 25 h day, and two 1h buckets at local 00:00.
    expect(buckets('2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z', '1d', 'Atlantic/Azores')).toEqual([
      '2025-10-25T00:00:00.000Z 1440m',
      '2025-10-26T00:00:00.000Z 1500m',
      '2025-10-27T01:00:00.000Z 1440m',
    ]);
    expect(buckets('2025-10-26T00:00:00Z', '2025-10-26T02:00:00Z', '1h', 'Atlantic/Azores')).toEqual([
      '2025-10-26T00:00:00.000Z 60m',
      '2025-10-26T01:00:00.000Z 60m',
    ]);
    // America/Havana, 2025-11-02 01:00 -04 → 00:00 -05 (05:00Z): the same.
    expect(buckets('2025-11-01T12:00:00Z', '2025-11-03T12:00:00Z', '1d', 'America/Havana')).toEqual([
      '2025-11-01T04:00:00.000Z 1440m',
      '2025-11-02T04:00:00.000Z 1500m',
      '2025-11-03T05:00:00.000Z 1440m',
    ]);
    // America/Moncton, 2006-10-29 00:01 ADT → 23:01 AST on the 28th: those repeated minutes of the 28th belong to the 29th.
    const moncton = tz('America/Moncton');
    expect(bucketStartIn(at('2006-10-29T03:30:00Z'), '1d', moncton)).toBe(at('2006-10-29T03:00:00Z'));
    expect(buckets('2006-10-28T12:00:00Z', '2006-10-30T12:00:00Z', '1d', 'America/Moncton')).toEqual([
      '2006-10-28T03:00:00.000Z 1440m',
      '2006-10-29T03:00:00.000Z 1500m',
      '2006-10-30T04:00:00.000Z 1440m',
    ]);
  });

  it('a date the clock jumps over has no bucket', () => {
    // Pacific/Apia skipped 2011-12-30: the 29th (-10) is followed by the 31st (+14).
    expect(buckets('2011-12-29T12:00:00Z', '2011-12-31T12:00:00Z', '1d', 'Pacific/Apia')).toEqual([
      '2011-12-29T10:00:00.000Z 1440m',
      '2011-12-30T10:00:00.000Z 1440m',
      '2011-12-31T10:00:00.000Z 1440m',
    ]);
    expect(new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Apia' }).format(at('2011-12-30T10:00:00Z'))).toBe(
      '2011-12-31',
    );
  });
});

describe('ranges and counts', () => {
  it('bucketRangeIn is the buckets overlapping [from, to); empty when to <= from', () => {
    const z = tz('Europe/Berlin');
    expect(bucketRangeIn(at('2025-03-30T10:00:00Z'), at('2025-03-30T10:00:00Z'), '1d', z)).toEqual([]);
    expect(bucketCountIn(at('2025-03-30T10:00:00Z'), at('2025-03-30T09:00:00Z'), '1h', z)).toBe(0);
    expect(bucketRangeIn(at('2025-03-30T10:00:00Z'), at('2025-03-30T10:00:00.001Z'), '1d', z)).toEqual([
      at('2025-03-29T23:00:00Z'),
    ]);
    expect(bucketRangeIn(at('2025-03-29T23:00:00Z'), at('2025-03-30T22:00:00Z'), '1d', z)).toEqual([
      at('2025-03-29T23:00:00Z'),
    ]);
    expect(bucketRangeIn(at('2025-03-29T23:00:00Z'), at('2025-03-30T22:00:00.001Z'), '1d', z)).toHaveLength(2);
  });

  it('bucketCountIn counts over decades without listing (and agrees with the list)', () => {
    for (const [zone, interval] of [
      ['Australia/Lord_Howe', '1d'],
      ['America/New_York', '1h'],
      ['Asia/Kathmandu', '1h'],
      ['Pacific/Apia', '1d'],
    ] as const) {
      const z = tz(zone);
      const from = at('2010-06-01T07:13:00Z');
      const to = at('2013-02-01T00:00:00Z');
      expect([zone, bucketCountIn(from, to, interval, z)]).toEqual([zone, bucketRangeIn(from, to, interval, z).length]);
    }
    expect(bucketCountIn(Y1970, Y2100, '1d', tz('Europe/Berlin'))).toBe((Y2100 - Y1970) / DAY + 1);
  });

  it('covers [from, to) without gaps or overlaps, in any zone (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_ZONES),
        fc.constantFrom<'1h' | '1d'>('1h', '1d'),
        fc.integer({ min: Y1970, max: Y2100 }),
        fc.integer({ min: 1, max: 12 * DAY }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 5 }),
        (zone, interval, from, span, probes) => {
          const z = tz(zone);
          const to = from + span;
          const r = bucketRangeIn(from, to, interval, z);
          const last = r[r.length - 1]!;
          expect(r[0]).toBe(bucketStartIn(from, interval, z));
          expect(r.length).toBe(bucketCountIn(from, to, interval, z));
          expect(r.every((b, i) => i === 0 || (b > r[i - 1]! && b === nextBucketIn(r[i - 1]!, interval, z)))).toBe(
            true,
          );
          expect(last < to && nextBucketIn(last, interval, z) >= to).toBe(true);
          // Every instant of [from, to) lies in exactly the listed bucket that starts last before it.
          const misplaced = probes
            .map((p) => from + Math.floor(p * span))
            .filter((u) => bucketStartIn(u, interval, z) !== r.filter((b) => b <= u).pop());
          expect(misplaced).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('against a brute-force reference on Intl local fields', () => {
  it('every zone, one hour and one day bucket of 2026', () => {
    const problems: string[] = [];
    ALL_ZONES.forEach((zone, i) => {
      const t =
        at('2026-01-01T00:00:00Z') + Math.floor(((i * 7919) % ALL_ZONES.length) * ((365 * DAY) / ALL_ZONES.length));
      const p = checkAgainstReference(zone, t, i % 2 === 0 ? '1h' : '1d');
      if (p) problems.push(p);
    });
    expect(problems).toEqual([]);
  });

  it('any zone, any instant from 1970 to 2100 (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_ZONES),
        fc.integer({ min: Y1970 + 3 * DAY, max: Y2100 }),
        fc.constantFrom<'1h' | '1d'>('1h', '1d'),
        (zone, t, i) => {
          expect(checkAgainstReference(zone, t, i)).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('near offset changes, where the rules matter (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_ZONES),
        fc.integer({ min: 1970, max: 2099 }),
        fc.nat(),
        fc.integer({ min: -30 * HOUR, max: 30 * HOUR }),
        fc.constantFrom<'1h' | '1d'>('1h', '1d'),
        (zone, year, pick, delta, i) => {
          const changes = offsetTransitions(tz(zone), Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
          fc.pre(changes.length > 0);
          const c = changes[pick % changes.length]!;
          expect(wall(zone, c.atMs) - c.atMs).toBe(c.offsetAfterMs);
          expect(wall(zone, c.atMs - 1) - (c.atMs - 1)).toBe(c.offsetBeforeMs);
          const t = Math.max(Y1970 + 3 * DAY, c.atMs + delta);
          expect(checkAgainstReference(zone, t, i)).toBeUndefined();
        },
      ),
      { numRuns: 120 },
    );
  });

  it('utcOffsetMs is what Intl shows', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_ZONES), fc.integer({ min: Y1970, max: Y2100 }), (zone, t) => {
        expect(utcOffsetMs(t, tz(zone))).toBe(wall(zone, t) - t);
      }),
      { numRuns: 300 },
    );
  });
});
