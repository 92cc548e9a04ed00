// Tenant time zones end to end (docs/api.md#time-zones): events POSTed to /v1/events, aggregated by the runtime's
// consumer, read back with GET /v1/metrics, on a test clock just after the autumn DST changes of 2026. 1h and 1d
// buckets must equal a reference computed here from the events themselves with Intl (independent of
// core/timezone.ts): in UTC, Europe/Berlin and America/New_York across their 23- and 25-hour days (the skipped and the
// repeated local hour), Asia/Kolkata (+05:30) and Asia/Kathmandu (+05:45) hours; on the rollup path (count, sum) and
// the raw path (a prop.* filter) alike; after each zone change (re-bucketing), with events arriving in between,
// switching back and forth while Redis is warm, and after `customersignal rebuild` of a zoned tenant. The other
// tenant's buckets never move. Validation: bad names and offsets are 400s that say what to send; a read key gets 403.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { eventually, useTestEnv, type TestTenant } from '../../test/harness';
import { call } from '../../test/builders';
import { rebuildRange } from '../maintenance/rebuild';
import type { Adapters } from '../../adapters';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);

/** The test clock: after every DST change below, and all of them within RETENTION. */
const clock = at('2026-11-06T00:00:00Z');
let deps: Adapters;

const {
  env,
  runtime,
  tenants: [tenant, other, fuzzed],
} = useTestEnv('timezones', {
  tenants: 3,
  runtime: { consumers: true },
  overrides: { RETENTION: '300d', MAX_EVENTS_PER_BATCH: '1000' },
  adapters: (e) => (deps = { ...e.adapters, now: () => clock }),
});

// The changes of 2026: Berlin 02:00 CET → 03:00 CEST on 29 March, 03:00 CEST → 02:00 CET on 25 October;
// New York 02:00 EST → 03:00 EDT on 8 March, 02:00 EDT → 01:00 EST on 1 November.
const TRANSITIONS = {
  berlinSpring: at('2026-03-29T01:00:00Z'),
  berlinFall: at('2026-10-25T01:00:00Z'),
  nySpring: at('2026-03-08T07:00:00Z'),
  nyFall: at('2026-11-01T06:00:00Z'),
};

interface Ev {
  t: number;
  amount: number;
  user: string;
}

/** Events every 13 minutes and 7 s-steps across ±40 h of each change, plus some exactly on and next to it. */
function eventsAround(seed: number): Ev[] {
  const out: Ev[] = [];
  for (const T of Object.values(TRANSITIONS)) {
    for (let k = -185; k <= 185; k++)
      out.push({ t: T + k * 13 * 60_000 + ((k + seed) % 5) * 7_000, amount: 0, user: '' });
    for (const d of [-1, 0, 1, H - 1, H, -H]) out.push({ t: T + d, amount: 0, user: '' });
  }
  return out.map((e, i) => ({ ...e, amount: (i + seed) % 7, user: `u${(i * 7 + seed) % 41}` }));
}

const all: Record<string, Ev[]> = {};
const ownEvents = (t: TestTenant) => (all[t.id] ??= []);

async function ingest(t: TestTenant, events: Ev[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const res = await call(runtime.url, '/v1/events', {
      key: t.keys.ingest,
      json: {
        events: events.slice(i, i + 1000).map((e) => ({
          event_type: 'tz',
          project: t.project.slug,
          event_id: randomUUID(),
          timestamp: new Date(e.t).toISOString(),
          user_id: e.user,
          properties: { amount: e.amount, all: 'yes' },
        })),
      },
    });
    expect(res.status).toBe(202);
  }
  ownEvents(t).push(...events);
  // Aggregated: the 5m buckets of the whole span add up to every event sent (5m is epoch-aligned in every zone).
  const expected = ownEvents(t).length;
  await eventually(async () => {
    let n = 0;
    for (const [from, to] of [
      ['2026-03-06T00:00:00Z', '2026-04-01T00:00:00Z'],
      ['2026-10-22T00:00:00Z', '2026-11-04T00:00:00Z'],
    ]) {
      const r = await call(runtime.url, `/v1/metrics?event_type=tz&interval=1h&from=${from}&to=${to}`, {
        key: t.keys.read,
      });
      n += (r.body.points as { value: number }[]).reduce((s, p) => s + p.value, 0);
    }
    return n === expected ? n : undefined;
  }, 60_000);
}

// ---- the reference: local wall time from Intl, nothing from core/timezone.ts ------------------------------------

function wall(ms: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}
function offset(ms: number, zone: string): number {
  const w = wall(ms, zone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}
/** The start of the local hour (its first instant: the repeated hour is two) or local day holding `ms`. */
function refBucket(ms: number, interval: '1h' | '1d', zone: string): number {
  const off = offset(ms, zone);
  if (interval === '1h') return Math.floor((ms + off) / H) * H - off;
  const w = wall(ms, zone);
  const midnight = Date.UTC(w.y, w.mo - 1, w.d);
  return midnight - offset(midnight - offset(midnight - off, zone), zone);
}
function reference(events: Ev[], interval: '1h' | '1d', zone: string) {
  const m = new Map<number, { count: number; sum: number }>();
  for (const e of events) {
    const b = refBucket(e.t, interval, zone);
    const v = m.get(b) ?? { count: 0, sum: 0 };
    v.count += 1;
    v.sum += e.amount;
    m.set(b, v);
  }
  return m;
}

type Point = { t: string; value: number | null };

async function metric(t: TestTenant, q: string): Promise<{ timezone: string; points: Point[] }> {
  const r = await call(runtime.url, `/v1/metrics?event_type=tz&${q}`, { key: t.keys.read });
  expect({ q, status: r.status, body: r.status === 200 ? 'ok' : r.body }).toEqual({ q, status: 200, body: 'ok' });
  return r.body;
}

const WINDOWS: [string, '1h' | '1d', number, number][] = Object.values(TRANSITIONS).flatMap((T) => [
  ['1h', '1h', T - 36 * H, T + 36 * H],
  ['1d', '1d', T - 3 * D, T + 3 * D],
]) as never;

/**
 * Every window's points in `zone` equal the reference: counts and sums from the rollups and from raw events
 * (prop.all=yes), unique users equal on both paths, every point a local bucket start, none missing.
 */
async function expectZone(t: TestTenant, zone: string): Promise<void> {
  for (const [, interval, fromMs, toMs] of WINDOWS) {
    const range = `interval=${interval}&from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;
    const ref = reference(ownEvents(t), interval, zone);
    const count = await metric(t, `${range}&metric=count`);
    expect(count.timezone).toBe(zone);
    const starts = count.points.map((p) => Date.parse(p.t));
    // Each point starts a local bucket, and together they cover the range's local buckets.
    expect(starts.map((s) => refBucket(s, interval, zone))).toEqual(starts);
    expect(starts[0]).toBe(refBucket(fromMs, interval, zone));
    const want = (f: 'count' | 'sum') => starts.map((s) => ref.get(s)?.[f] ?? 0);
    const label = `${zone} ${range}`;
    expect({ label, count: count.points.map((p) => p.value) }).toEqual({ label, count: want('count') });
    const rawCount = await metric(t, `${range}&metric=count&prop.all=yes`);
    expect({ label, raw: rawCount.points.map((p) => p.value) }).toEqual({ label, raw: want('count') });
    const sum = await metric(t, `${range}&metric=sum:amount`);
    expect({ label, sum: sum.points.map((p) => p.value) }).toEqual({ label, sum: want('sum') });
    const rawSum = await metric(t, `${range}&metric=sum:amount&prop.all=yes`);
    expect({ label, rawSum: rawSum.points.map((p) => p.value) }).toEqual({ label, rawSum: want('sum') });
    const users = await metric(t, `${range}&metric=unique_users`);
    const rawUsers = await metric(t, `${range}&metric=unique_users&prop.all=yes`);
    expect({ label, users: users.points }).toEqual({ label, users: rawUsers.points });
    // Events outside the windows exist too: the whole bucket counts, as the reference does.
    expect(count.points.length).toBe(new Set(starts).size);
  }
}

async function setZone(t: TestTenant, zone: string) {
  const r = await call(runtime.url, '/v1/tenant', { method: 'PATCH', key: t.keys.admin, json: { timezone: zone } });
  expect(r.status).toBe(200);
  return r.body;
}

const lengthsOf = (points: Point[]) => points.slice(1).map((p, i) => (Date.parse(p.t) - Date.parse(points[i]!.t)) / H);

beforeAll(async () => {
  await ingest(tenant, eventsAround(0));
  await ingest(other, eventsAround(3));
}, 180_000);

describe('tenant time zones', () => {
  it('starts in UTC: GET /v1/tenant, and buckets equal to the reference', async () => {
    const r = await call(runtime.url, '/v1/tenant', { key: tenant.keys.read });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: tenant.id, slug: tenant.slug, timezone: 'UTC', rebucketing: null });
    expect(r.body.retention_days).toBe(300);
    await expectZone(tenant, 'UTC');
  }, 120_000);

  it('Europe/Berlin: 23- and 25-hour days, re-bucketed from what is stored, then live events', async () => {
    const body = await setZone(tenant, 'Europe/Berlin');
    expect(body.timezone).toBe('Europe/Berlin');
    expect(body.rebucketing).toMatchObject({ status: 'done', from_timezone: 'UTC', to_timezone: 'Europe/Berlin' });
    expect(body.rebucketing.rows).toBeGreaterThan(0);
    await expectZone(tenant, 'Europe/Berlin');
    const days = await metric(tenant, 'interval=1d&from=2026-03-27T12:00:00Z&to=2026-03-31T00:00:00Z');
    expect(days.points.map((p) => p.t)).toEqual([
      '2026-03-26T23:00:00.000Z',
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-03-30T22:00:00.000Z',
    ]);
    expect(lengthsOf(days.points)).toEqual([24, 24, 23, 24]);
    const fall = await metric(tenant, 'interval=1d&from=2026-10-24T00:00:00Z&to=2026-10-27T00:00:00Z');
    expect(lengthsOf(fall.points)).toEqual([24, 25, 24]);
    // The repeated hour 02:00–03:00 is two buckets (00:00Z CEST and 01:00Z CET); the skipped 02:00 of March none.
    const hours = await metric(tenant, 'interval=1h&from=2026-10-24T23:00:00Z&to=2026-10-25T02:00:00Z');
    expect(hours.points.map((p) => p.t)).toEqual([
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
    ]);
    // Live events while in Berlin land in Berlin's buckets.
    await ingest(
      tenant,
      eventsAround(11).filter((_, i) => i % 3 === 0),
    );
    await expectZone(tenant, 'Europe/Berlin');
    // compare=previous over local days: the 7 local days before, however long.
    const week = await call(
      runtime.url,
      '/v1/metrics?event_type=tz&interval=1d&from=2026-10-26T00:00:00Z&to=2026-11-01T00:00:00Z&compare=previous',
      { key: tenant.keys.read },
    );
    expect(week.body.previous.to).toBe(week.body.points[0].t);
    expect(week.body.previous.points).toHaveLength(week.body.points.length);
    // Points: the local days 26 October to 1 November; before them the 7 local days from 19 October (CEST).
    expect(week.body.previous.from).toBe('2026-10-18T22:00:00.000Z');
  }, 240_000);

  it('America/New_York, Asia/Kolkata (+05:30) and Asia/Kathmandu (+05:45), with Redis warm from each', async () => {
    await setZone(tenant, 'America/New_York');
    await expectZone(tenant, 'America/New_York');
    const ny = await metric(tenant, 'interval=1d&from=2026-10-31T12:00:00Z&to=2026-11-03T00:00:00Z');
    expect(ny.points.map((p) => p.t)).toEqual([
      '2026-10-31T04:00:00.000Z',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
    const nySpring = await metric(tenant, 'interval=1d&from=2026-03-07T12:00:00Z&to=2026-03-10T00:00:00Z');
    expect(lengthsOf(nySpring.points)).toEqual([24, 23]); // 7, 8 (23 h) and 9 March

    // Answered as this engine's ICU names it (Node 20: Asia/Calcutta), and the metrics say the same name.
    const kolkataZone = (await setZone(tenant, 'Asia/Kolkata')).timezone as string;
    expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(kolkataZone);
    await expectZone(tenant, kolkataZone);
    const kolkata = await metric(tenant, 'interval=1h&from=2026-10-25T00:00:00Z&to=2026-10-25T03:00:00Z');
    expect(kolkata.points.map((p) => p.t.slice(11, 19))).toEqual(['23:30:00', '00:30:00', '01:30:00', '02:30:00']);

    const body = await setZone(tenant, 'Asia/Katmandu'); // the old spelling: answered canonical, Kathmandu either way
    const kathmandu = body.timezone as string;
    expect(['Asia/Kathmandu', 'Asia/Katmandu']).toContain(kathmandu);
    await expectZone(tenant, kathmandu);
    const k = await metric(tenant, 'interval=1h&from=2026-10-25T00:00:00Z&to=2026-10-25T02:00:00Z');
    expect(k.points.map((p) => p.t.slice(11, 19))).toEqual(['23:15:00', '00:15:00', '01:15:00']);
  }, 300_000);

  it('switching back to earlier zones never serves a value cached before: events arrive in between', async () => {
    // Redis holds Berlin's (and UTC's) buckets from before; events arrive while in Kathmandu; then back.
    await ingest(
      tenant,
      eventsAround(23).filter((_, i) => i % 4 === 1),
    );
    await setZone(tenant, 'Europe/Berlin');
    await expectZone(tenant, 'Europe/Berlin');
    await setZone(tenant, 'UTC');
    await expectZone(tenant, 'UTC');
    await setZone(tenant, 'Europe/Berlin');
    await expectZone(tenant, 'Europe/Berlin');
    // The same zone again changes nothing and says so.
    const again = await call(runtime.url, '/v1/tenant', {
      method: 'PATCH',
      key: tenant.keys.admin,
      json: { timezone: 'europe/berlin' },
    });
    expect(again.status).toBe(200);
    expect(again.body.timezone).toBe('Europe/Berlin');
  }, 300_000);

  it('rebuild of a tenant in Asia/Kolkata: local hours straddle UTC hours, and days are local', async () => {
    const kolkata = (await setZone(tenant, 'Asia/Kolkata')).timezone as string;
    await expectZone(tenant, kolkata); // Redis warm with the right values
    // Damage the stored buckets of two days (all intervals), then rebuild them from the raw events.
    await env.adapters.sql`
      update rollups set value = value + 1000
      where tenant_id = ${tenant.id} and bucket_start >= ${new Date('2026-10-24T00:00:00Z')}
        and bucket_start < ${new Date('2026-10-26T00:00:00Z')}`;
    await env.adapters.sql`
      delete from rollups where tenant_id = ${tenant.id} and interval = '1h'
        and bucket_start >= ${new Date('2026-10-26T00:00:00Z')} and bucket_start < ${new Date('2026-10-26T06:00:00Z')}`;
    const keys = await env.adapters.redis.keys(`{${tenant.id}}:rollup:*`);
    if (keys.length > 0) await env.adapters.redis.del(...keys);
    const before = await metric(tenant, 'interval=1d&from=2026-10-24T00:00:00Z&to=2026-10-26T00:00:00Z&metric=count');
    expect(before.points.some((p) => (p.value ?? 0) >= 1000)).toBe(true); // the damage is visible (and now cached)
    const summary = await rebuildRange(deps, {
      fromMs: at('2026-10-24T00:00:00Z'),
      toMs: at('2026-10-27T00:00:00Z'),
      tenantId: tenant.id,
    });
    expect(summary.events).toBeGreaterThan(0);
    await expectZone(tenant, kolkata);
  }, 300_000);

  it("another tenant's buckets never moved", async () => {
    const r = await call(runtime.url, '/v1/tenant', { key: other.keys.read });
    expect([r.body.timezone, r.body.rebucketing]).toEqual(['UTC', null]);
    await expectZone(other, 'UTC');
  }, 120_000);

  it('refuses bad zones with what to send, and a read key', async () => {
    for (const timezone of ['+05:30', 'UTC+2', 'GMT-03:00', 'Mars/Olympus', 'Europe/Berlin ', '', 'x'.repeat(100)]) {
      const r = await call(runtime.url, '/v1/tenant', { method: 'PATCH', key: tenant.keys.admin, json: { timezone } });
      expect({ timezone, status: r.status }).toEqual({ timezone, status: 400 });
      expect(r.body.error.message).toMatch(/IANA time zone name such as "Europe\/Berlin"/);
    }
    for (const json of [{}, { timezone: 5 }, { timezone: 'UTC', tenant_id: other.id }]) {
      const r = await call(runtime.url, '/v1/tenant', { method: 'PATCH', key: tenant.keys.admin, json });
      expect(r.status).toBe(400);
    }
    const read = await call(runtime.url, '/v1/tenant', {
      method: 'PATCH',
      key: tenant.keys.read,
      json: { timezone: 'UTC' },
    });
    expect(read.status).toBe(403);
    const ingestKey = await call(runtime.url, '/v1/tenant', { key: tenant.keys.ingest });
    expect(ingestKey.status).toBe(403);
    // Any string, any JSON value, as the zone (all of Unicode, lone surrogates, long, offset-like, zone-like): never a
    // 5xx; accepted exactly when parseTimeZone-like rules say so, and then answered as a name Intl knows.
    const zoneLike = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('Europe/Berlin', 'utc', 'US/Eastern', 'Etc/GMT+5', 'Asia/Kolkata', 'GMT', 'Z', 'EST5EDT'),
      fc.tuple(fc.constantFrom('+', '-', 'UTC+', 'GMT-', '\u2212'), fc.nat(99)).map(([a, b]) => `${a}${b}:30`),
      fc.string({ unit: 'grapheme', minLength: 60, maxLength: 70 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(zoneLike, fc.anything()), async (timezone) => {
        const r = await call(runtime.url, '/v1/tenant', {
          method: 'PATCH',
          key: fuzzed.keys.admin,
          json: { timezone },
        });
        expect([200, 400]).toContain(r.status);
        if (r.status === 200)
          expect(new Intl.DateTimeFormat('en-US', { timeZone: r.body.timezone }).resolvedOptions().timeZone).toBe(
            r.body.timezone,
          );
        else expect(r.body.error.message.length).toBeGreaterThan(10);
      }),
      { numRuns: 150, seed: 20261205 },
    );
    // Nothing refused changed the zone (the rebuild test left Kolkata).
    const unchanged = await call(runtime.url, '/v1/tenant', { key: tenant.keys.read });
    expect(unchanged.body.timezone).toBe(
      new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone,
    );
  });
});
