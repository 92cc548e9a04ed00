// Time buckets in a tenant's IANA time zone (groundwork for `1d`/`1h` buckets at local midnights and hours).
// Pure: the tz database is the engine's Intl (Node ships full ICU); no clock, no I/O. Bucket starts are UTC
// instants (epoch ms), as everywhere else (core/intervals.ts).
//
// Semantics, for a zone Z whose local clock at instant t reads wall(t) = t + offset(t):
//
// - `10s`, `1m`, `5m` stay epoch-aligned, whatever the zone (the UTC functions of core/intervals.ts). That is
//   local alignment too whenever the offset is a whole multiple of 5 minutes: every offset in the tz database
//   since 1980 is a multiple of 15 minutes (the last odd ones: Pacific/Kiritimati -10:40 until 1979,
//   Africa/Monrovia -0:44:30 until 1972). Events are bounded by retention, so they never meet the old ones;
//   the tests assert the multiple-of-15-minutes fact for every zone from 1980 to 2100.
// - `1d`: a day starts at the first instant of its local date, i.e. when the local clock first reaches its
//   midnight. A midnight that does not exist (DST starting at 00:00: America/Santiago, America/Havana,
//   Asia/Beirut, 00:00 → 01:00) starts the day at the jump, the first instant of that date (local 01:00).
//   A day, once begun, is not restarted: where the clock falls back onto or across a midnight
//   (Atlantic/Azores and America/Havana, 01:00 → 00:00, show 00:00 twice; America/Moncton until 2006 went
//   00:01 → 23:01 the day before), that day lasts 25 hours from the first midnight, repeated minutes of the
//   previous date included, rather than a 1-hour day being made. A local date the clock jumps over entirely
//   (Pacific/Apia skipped 2011-12-30) has no bucket. So DST days last 23 and 25 hours (23.5 and 24.5 in
//   Australia/Lord_Howe).
// - `1h`: an hour bucket starts whenever the local clock shows a whole hour, or jumps forward into a new
//   hour without showing its start (the first instant of that local hour). A repeated hour (fall-back) is two
//   buckets of one hour each, both labelled 01:00 locally but at different UTC instants; a skipped hour has no
//   bucket. So in a zone whose offsets are whole hours, 1h buckets are exactly the UTC hours, every day of the
//   year; in Asia/Kolkata (+05:30) they start at UTC :30, in Asia/Kathmandu (+05:45) at UTC :15. Lord_Howe's
//   30-minute shift: spring forward (02:00 +10:30 → 02:30 +11) makes local hour 02 a 30-minute bucket that
//   starts at the jump; fall back (02:00 +11 → 01:30 +10:30) makes local hour 01 a 90-minute bucket (the
//   clock does not show a whole hour again until 02:00).
// - Every 1d start is also a 1h start, so hours nest in days. Since 1970 every 1h/1d start is a whole
//   multiple of 10 s (all offsets and transitions are), so the aggregate step's 10-second groups
//   (core/rollups.ts) land in exactly one bucket of every interval; since 2023 every start is also a whole
//   multiple of 5 minutes (the last changes at odd minutes: Antarctica/Casey 2022, at 00:01 local).
// - Names: parseTimeZone returns what this engine's ICU calls canonical, which can be a legacy name (Node 20
//   says "Asia/Calcutta" for "Asia/Kolkata"); store that, and compare zones only after parseTimeZone.
//
// Speed: Intl is far too slow per event (microseconds per call). Each zone's UTC offsets are read from Intl
// once per 50-day chunk (sampled daily; each change found to the second by bisection) and kept as
// constant-offset segments; a bucket start is then arithmetic on the segment of the previous call. This
// assumes no zone changes its offset twice within a day, and back: in the tz database the closest two changes
// of one zone are 4 days apart (1939), a week since 1970; the property tests compare with Intl directly.
// Supported instants: years 1000 to 9999 (a RangeError outside, for the zone-aware intervals only).
import { badRequest } from './errors';
import { bucketCount, bucketRange, bucketStart, INTERVAL_MS, type Interval } from './intervals';

/** A canonical IANA time zone name, as the engine's Intl reports it; made only by parseTimeZone. */
export type TimeZone = string & { readonly __timeZone: unique symbol };

export const UTC_ZONE = 'UTC' as TimeZone;

const HOUR = INTERVAL_MS['1h'];
const DAY = INTERVAL_MS['1d'];
const MAX_NAME = 64;
const EXAMPLES = 'an IANA time zone name such as "Europe/Berlin", "America/New_York", "Asia/Kolkata" or "UTC"';

/**
 * Validates an IANA time zone name and returns it canonical, as Intl reports it ("utc" → "UTC",
 * "europe/berlin" → "Europe/Berlin", "US/Eastern" → "America/New_York"; links such as "Asia/Kolkata" and
 * "Asia/Calcutta" resolve to the one name this engine's ICU uses). UTC offsets ("+05:30", "UTC+2") are refused:
 * an offset does not follow daylight saving time. Throws AppError `invalid` (code invalid_timezone).
 */
export function parseTimeZone(name: string): TimeZone {
  if (typeof name !== 'string' || name === '') throw badRequest('invalid_timezone', `timezone must be ${EXAMPLES}.`);
  const shown = JSON.stringify(name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name);
  if (/^\s*(?:utc|gmt|z)?\s*[+\-\u2212]\s*\d/i.test(name)) {
    throw badRequest(
      'invalid_timezone',
      `timezone ${shown} is a UTC offset, which does not follow daylight saving time; send ${EXAMPLES}.`,
    );
  }
  if (name.length > MAX_NAME || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) {
    throw badRequest('invalid_timezone', `timezone ${shown} is not a time zone name; send ${EXAMPLES}.`);
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw badRequest('invalid_timezone', `timezone ${shown} is not a known IANA time zone; send ${EXAMPLES}.`);
  }
  return resolved as TimeZone;
}

/** Whether an interval's buckets depend on the time zone (the others are epoch-aligned in every zone). */
export function isZoned(interval: Interval): interval is '1h' | '1d' {
  return interval === '1h' || interval === '1d';
}

/** The zone's UTC offset at `ms` (local wall time minus UTC), in milliseconds: +3_600_000 for CET. */
export function utcOffsetMs(ms: number, zone: TimeZone): number {
  return rulesOf(zone).segmentAt(ms).offset;
}

export interface OffsetTransition {
  atMs: number;
  offsetBeforeMs: number;
  offsetAfterMs: number;
}

/** The zone's changes of UTC offset in [fromMs, toMs), oldest first. */
export function offsetTransitions(zone: TimeZone, fromMs: number, toMs: number): OffsetTransition[] {
  const z = rulesOf(zone);
  const out: OffsetTransition[] = [];
  for (let x = fromMs; x < toMs;) {
    const s = z.segmentAt(x);
    if (s.from >= fromMs && s.prevOffset !== s.offset)
      out.push({ atMs: s.from, offsetBeforeMs: s.prevOffset, offsetAfterMs: s.offset });
    x = s.to;
  }
  return out;
}

/** Start of the bucket of `interval` in `zone` that contains `ms`. */
export function bucketStartIn(ms: number, interval: Interval, zone: TimeZone): number {
  if (interval !== '1h' && interval !== '1d') return bucketStart(ms, interval);
  // startAtOrBefore(ms), unrolled once: usually ms lies in the segment of the previous call (the memo).
  const z = rulesOf(zone);
  const s = z.segmentAt(ms);
  const unit = interval === '1h' ? HOUR : DAY;
  const m = floorTo(ms + s.offset, unit);
  if (m > levelOf(z, s, unit)) return Math.max(s.from, m - s.offset);
  return startAtOrBefore(z, s.from - 1, unit);
}

/** Start of the bucket after the one that contains `ms` (a 1d bucket lasts 23 or 25 hours across DST changes). */
export function nextBucketIn(ms: number, interval: Interval, zone: TimeZone): number {
  if (interval !== '1h' && interval !== '1d') return bucketStart(ms, interval) + INTERVAL_MS[interval];
  return startAtOrAfter(rulesOf(zone), Math.floor(ms) + 1, interval === '1h' ? HOUR : DAY);
}

/**
 * Starts of the buckets that overlap [fromMs, toMs), oldest first: the first is the bucket containing fromMs.
 * Empty when toMs <= fromMs.
 */
export function bucketRangeIn(fromMs: number, toMs: number, interval: Interval, zone: TimeZone): number[] {
  if (toMs <= fromMs) return [];
  if (!isZoned(interval)) return bucketRange(fromMs, toMs, interval);
  const out: number[] = [];
  for (let t = bucketStartIn(fromMs, interval, zone); t < toMs; t = nextBucketIn(t, interval, zone)) out.push(t);
  return out;
}

/**
 * bucketRangeIn(...).length without listing: the work grows with the offset changes and 50-day chunks in the
 * range, not the buckets. A chunk not seen before by this process costs ~50 Intl calls (well under a
 * millisecond), so callers refuse ranges far beyond retention before counting.
 */
export function bucketCountIn(fromMs: number, toMs: number, interval: Interval, zone: TimeZone): number {
  if (toMs <= fromMs) return 0;
  if (!isZoned(interval)) return bucketCount(fromMs, toMs, interval);
  const unit = interval === '1h' ? HOUR : DAY;
  const z = rulesOf(zone);
  let n = 0;
  for (let x = bucketStartIn(fromMs, interval, zone); x < toMs;) {
    const s = z.segmentAt(x);
    const end = Math.min(s.to, toMs);
    const level = levelOf(z, s, unit);
    const o = s.offset;
    if (x === s.from) {
      // All marks the clock passed on entering the segment start one bucket, at s.from.
      if (floorTo(s.from + o, unit) > level) n += 1;
      n += marksIn(Math.max(level, s.from + o), end - 1 + o, unit);
    } else {
      n += marksIn(Math.max(level, x + o - 1), end - 1 + o, unit);
    }
    x = end;
  }
  return n;
}

// ---- buckets over constant-offset segments -------------------------------------------------------------------
//
// A segment is a stretch [from, to) of constant offset. Its starts are the instants max(from, m - offset) for
// each mark m (a whole local hour or a local midnight) with level < m <= wall(to - 1), where `level` is what the
// clock must exceed for a mark to start a bucket:
// - 1h: the wall time just before the segment (wall(from - 1)) after a forward jump, so the marks jumped over
//   start a bucket at `from`; otherwise wall(from) - 1 (only marks the clock shows).
// - 1d: the highest wall time before the segment (a day, once reached, is not restarted).

interface Segment {
  from: number;
  to: number;
  offset: number;
  /** The offset just before `from` (equal to `offset` where a segment is only cut at a chunk's edge). */
  prevOffset: number;
  levelHour: number;
  /** The highest wall time before `from`; computed on first use. */
  levelDay: number | undefined;
}

function segment(from: number, to: number, offset: number, prevOffset: number): Segment {
  return { from, to, offset, prevOffset, levelHour: from - 1 + Math.min(prevOffset, offset), levelDay: undefined };
}

function floorTo(w: number, unit: number): number {
  let r = w % unit;
  if (r < 0) r += unit;
  return w - r;
}

/** How many multiples of `unit` lie in (lo, hi]. */
function marksIn(lo: number, hi: number, unit: number): number {
  return hi > lo ? (floorTo(hi, unit) - floorTo(lo, unit)) / unit : 0;
}

function levelOf(z: ZoneRules, s: Segment, unit: number): number {
  return unit === HOUR ? s.levelHour : z.levelDay(s);
}

/** The latest bucket start <= t. */
function startAtOrBefore(z: ZoneRules, t: number, unit: number): number {
  for (;;) {
    const s = z.segmentAt(t);
    const m = floorTo(t + s.offset, unit);
    if (m > levelOf(z, s, unit)) return Math.max(s.from, m - s.offset);
    t = s.from - 1;
  }
}

/** The earliest bucket start >= x. */
function startAtOrAfter(z: ZoneRules, x: number, unit: number): number {
  for (;;) {
    const s = z.segmentAt(x);
    const level = levelOf(z, s, unit);
    const firstMark = floorTo(level, unit) + unit;
    const m = x === s.from ? firstMark : Math.max(firstMark, -floorTo(-(x + s.offset), unit));
    const at = Math.max(s.from, m - s.offset);
    if (at < s.to) return at;
    x = s.to;
  }
}

// ---- the zone's offsets, read from Intl --------------------------------------------------------------------

const CHUNK_MS = 50 * DAY;
const SAMPLE_MS = DAY;
/** No UTC offset reaches a day. */
const MAX_OFFSET_MS = DAY;
const MIN_MS = Date.UTC(1000, 0, 1);
const MAX_MS = Date.UTC(10000, 0, 1) - 1;

class ZoneRules {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly chunks = new Map<number, Segment[]>();
  /** The segment of the latest lookup: consecutive events mostly share it. */
  memo: Segment = segment(0, 0, 0, 0);

  constructor(readonly zone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  segmentAt(t: number): Segment {
    const m = this.memo;
    if (t >= m.from && t < m.to) return m;
    if (!(t >= MIN_MS && t <= MAX_MS))
      throw new RangeError(`time ${t} is outside the years 1000 to 9999 that zoned buckets support`);
    const s = this.find(t);
    this.memo = s;
    return s;
  }

  /** The highest wall time before s.from: walks back while an earlier segment could still have shown more. */
  levelDay(s: Segment): number {
    if (s.levelDay !== undefined) return s.levelDay;
    let best = s.from - 1 + s.prevOffset;
    for (let p = this.find(s.from - 1); p.from - 1 + MAX_OFFSET_MS > best && p.from > MIN_MS;) {
      p = this.find(p.from - 1);
      best = Math.max(best, p.to - 1 + p.offset);
    }
    s.levelDay = best;
    return best;
  }

  private find(t: number): Segment {
    const segs = this.chunk(Math.floor(t / CHUNK_MS));
    for (const s of segs) if (t < s.to) return s;
    return segs[segs.length - 1]!;
  }

  private chunk(i: number): Segment[] {
    const known = this.chunks.get(i);
    if (known) return known;
    const a = i * CHUNK_MS;
    const b = a + CHUNK_MS;
    const segs: Segment[] = [];
    let from = a;
    let prev = this.offsetAt(a - 1000);
    let off = this.offsetAt(a);
    for (let p = a; p < b - 1000;) {
      const q = Math.min(p + SAMPLE_MS, b - 1000);
      const oq = this.offsetAt(q);
      while (oq !== off) {
        // Bisect to the first second of the new offset in (p, q].
        let lo = p;
        let hi = q;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (this.offsetAt(mid) === off) lo = mid;
          else hi = mid;
        }
        segs.push(segment(from, hi, off, prev));
        prev = off;
        from = hi;
        off = this.offsetAt(hi);
        p = hi;
      }
      p = q;
    }
    segs.push(segment(from, b, off, prev));
    this.chunks.set(i, segs);
    return segs;
  }

  /** The offset at a whole second `t`, from the local fields Intl shows. */
  private offsetAt(t: number): number {
    const f = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/.exec(this.fmt.format(t));
    if (!f) throw new Error(`unexpected Intl output for ${this.zone} at ${t}: ${this.fmt.format(t)}`);
    return Date.UTC(+f[3]!, +f[1]! - 1, +f[2]!, +f[4]!, +f[5]!, +f[6]!) - t;
  }
}

const rules = new Map<string, ZoneRules>();
let lastZone: string | undefined;
let lastRules: ZoneRules | undefined;

function rulesOf(zone: TimeZone): ZoneRules {
  if (zone === lastZone) return lastRules!;
  let z = rules.get(zone);
  if (!z) {
    z = new ZoneRules(zone);
    rules.set(zone, z);
  }
  lastZone = zone;
  lastRules = z;
  return z;
}

/** The instants zoned buckets support (years 1000 to 9999): outside them the zone-aware functions throw RangeError. */
export const ZONED_MIN_MS = MIN_MS;
export const ZONED_MAX_MS = MAX_MS;

/** The bucket functions of one zone; in UTC exactly core/intervals.ts's (every instant, no tz lookups). */
export interface ZoneBuckets {
  zone: TimeZone;
  start(ms: number, interval: Interval): number;
  next(ms: number, interval: Interval): number;
  range(fromMs: number, toMs: number, interval: Interval): number[];
  count(fromMs: number, toMs: number, interval: Interval): number;
}

export function bucketsIn(zone: TimeZone): ZoneBuckets {
  if (zone === UTC_ZONE)
    return {
      zone,
      start: bucketStart,
      next: (ms, interval) => bucketStart(ms, interval) + INTERVAL_MS[interval],
      range: bucketRange,
      count: bucketCount,
    };
  return {
    zone,
    start: (ms, interval) => bucketStartIn(ms, interval, zone),
    next: (ms, interval) => nextBucketIn(ms, interval, zone),
    range: (fromMs, toMs, interval) => bucketRangeIn(fromMs, toMs, interval, zone),
    count: (fromMs, toMs, interval) => bucketCountIn(fromMs, toMs, interval, zone),
  };
}
