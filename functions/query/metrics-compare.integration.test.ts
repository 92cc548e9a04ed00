// GET /v1/metrics through the HTTP API: compare=previous, format=csv, and the raw-event retention limit.
import { useTestEnv, type TestTenant } from '../../test/harness';
import { call, mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from '../aggregate/handler';
import { bucketStart } from '../../core/intervals';
import type { RawEvent } from '../../core/raw-event';

const { env, runtime, tenant } = useTestEnv('metricscompare', { tenants: 1, runtime: { consumers: false } });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const hour = bucketStart(Date.now() - 3 * HOUR, '1h');

interface Point {
  t: string;
  value: number | null;
}
interface Answer {
  points: Point[];
  previous?: { from: string; to: string; points: Point[] };
}

beforeAll(async () => {
  // Events in every minute of two past hours, a different number per minute; amounts for sum/avg.
  const events: RawEvent[] = [];
  for (let m = 0; m < 120; m++)
    for (let i = 0; i <= m % 7; i++)
      events.push(
        rawEvent(tenant, {
          eventType: 'order',
          timestampMs: hour + m * MINUTE + i * 1_000,
          userId: `u${i}`,
          properties: { plan: i % 2 === 0 ? 'pro' : 'free', amount: m + i / 10, cart: { total: i } },
        }),
      );
  await createAggregateHandler(env.adapters)(mskBatch(env.config.kafka.topics.eventsRaw, events));
});

const get = (path: string, t: TestTenant = tenant) => call(runtime.url, path, { key: t.keys.read });
const iso = (ms: number) => new Date(ms).toISOString();

/** RFC 4180 rows of a body csvText wrote (no field here needs quoting). */
const rowsOf = (csv: string) =>
  csv
    .split('\r\n')
    .slice(0, -1)
    .map((line) => line.split(','));

describe('compare=previous', () => {
  it.each([
    ['count, 1m, a range not aligned to buckets', 'metric=count&interval=1m', hour + 65 * MINUTE + 30_000, 31 * MINUTE],
    ['sum, 5m', 'metric=sum:amount&interval=5m', hour + 60 * MINUTE, 45 * MINUTE],
    ['avg of a nested path (raw events), 1m', 'metric=avg:cart.total&interval=1m', hour + 70 * MINUTE, 20 * MINUTE],
    ['unique_users with a filter (raw events), 1h', 'metric=unique_users&interval=1h&prop.plan=pro', hour + HOUR, HOUR],
  ])('%s: previous equals a separate request for the previous range', async (_, params, fromMs, length) => {
    const base = `/v1/metrics?event_type=order&${params}`;
    const res = await get(`${base}&from=${iso(fromMs)}&to=${iso(fromMs + length)}&compare=previous`);
    expect(res.status).toBe(200);
    const answer = res.body as Answer;
    const previous = answer.previous!;
    expect(previous.points).toHaveLength(answer.points.length);
    expect(previous.to).toBe(answer.points[0]!.t);
    const separate = await get(`${base}&from=${previous.from}&to=${previous.to}`);
    expect(separate.status).toBe(200);
    expect((separate.body as Answer).points).toEqual(previous.points);
    expect((separate.body as Answer).previous).toBeUndefined();
    expect(previous.points.some((p) => p.value !== 0 && p.value !== null)).toBe(true);
    // Without compare the main points are the same and there is no previous.
    const plain = await get(`${base}&from=${iso(fromMs)}&to=${iso(fromMs + length)}`);
    expect(plain.body).toEqual({
      ...answer,
      previous: undefined,
      data_as_of: (plain.body as Answer & { data_as_of: unknown }).data_as_of,
    });
  });

  it.each(['prev', 'Previous', '', 'previous_year'])(
    'refuses compare=%j with a 400 that says how to fix it',
    async (v) => {
      const res = await get(`/v1/metrics?event_type=order&compare=${encodeURIComponent(v)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: { code: 'invalid_parameter', message: expect.stringContaining('compare=previous') },
      });
    },
  );
});

describe('format=csv', () => {
  it('is the JSON answer as text/csv, previous columns included, with a safe attachment file name', async () => {
    const q = `event_type=order&metric=avg:amount&interval=5m&from=${iso(hour + 60 * MINUTE)}&to=${iso(hour + 2 * HOUR + 10 * MINUTE)}&compare=previous`;
    const asJson = (await get(`/v1/metrics?${q}`)).body as Answer;
    const res = await get(`/v1/metrics?${q}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="order-avg_amount.csv"');
    const rows = rowsOf(res.body as string);
    expect(rows[0]).toEqual(['t', 'value', 'previous_t', 'previous_value']);
    const cell = (v: string) => (v === '' ? null : Number(v));
    expect(rows.slice(1).map(([t, v, pt, pv]) => [t, cell(v!), pt, cell(pv!)])).toEqual(
      asJson.points.map((p, i) => [p.t, p.value, asJson.previous!.points[i]!.t, asJson.previous!.points[i]!.value]),
    );
    // The current hour's 5m buckets hold no event: avg is null there, an empty cell in the CSV.
    expect(rows.some((r) => r[1] === '')).toBe(true);
  });

  it('is t,value without compare, and format=json is the default answer', async () => {
    const q = `event_type=order&interval=1h&from=${iso(hour)}&to=${iso(hour + 2 * HOUR)}`;
    const csv = await get(`/v1/metrics?${q}&format=csv`);
    expect(rowsOf(csv.body as string)).toEqual([
      ['t', 'value'],
      [iso(hour), String(((await get(`/v1/metrics?${q}`)).body as Answer).points[0]!.value)],
      [iso(hour + HOUR), String(((await get(`/v1/metrics?${q}&format=json`)).body as Answer).points[1]!.value)],
    ]);
  });

  it.each(['xml', 'CSV', '', 'csv;q=1'])('refuses format=%j with a 400 that says how to fix it', async (v) => {
    const res = await get(`/v1/metrics?event_type=order&format=${encodeURIComponent(v)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      error: { code: 'invalid_parameter', message: expect.stringContaining('format=csv') },
    });
  });
});

describe('breakdown=', () => {
  interface Split extends Answer {
    breakdown: string;
    source: string;
    series: {
      value: string;
      total: number;
      points: Point[];
      previous?: { from: string; to: string; points: Point[] };
    }[];
  }
  it('adds series that add up to points, each with its previous points; format=csv has a series column', async () => {
    const q = `event_type=order&metric=sum:amount&interval=5m&from=${iso(hour + HOUR)}&to=${iso(hour + HOUR + 30 * MINUTE)}&compare=previous&breakdown=plan&limit=1`;
    const res = await get(`/v1/metrics?${q}`);
    expect(res.status).toBe(200);
    const answer = res.body as Split;
    expect([answer.breakdown, answer.source, answer.series.map((s) => s.value)]).toEqual([
      'plan',
      'raw',
      ['pro', '$other'],
    ]);
    for (const [points, parts] of [
      [answer.points, answer.series.map((s) => s.points)],
      [answer.previous!.points, answer.series.map((s) => s.previous!.points)],
    ] as const) {
      points.forEach((p, i) => expect(Math.round(parts.reduce((a, s) => a + s[i]!.value!, 0) * 10) / 10).toBe(p.value));
    }
    // The same totals as the metric without breakdown.
    const plain = (await get(`/v1/metrics?${q.replace('&breakdown=plan&limit=1', '')}`)).body as Answer;
    expect(answer.points).toEqual(plain.points);
    expect(answer.previous).toEqual(plain.previous);

    const csv = await get(`/v1/metrics?${q}&format=csv`);
    expect(csv.status).toBe(200);
    const rows = rowsOf(csv.body as string);
    expect(rows[0]).toEqual(['series', 't', 'value', 'previous_t', 'previous_value']);
    const cell = (v: string) => (v === '' ? null : Number(v));
    expect(rows.slice(1).map(([s, t, v, pt, pv]) => [s, t, cell(v!), pt, cell(pv!)])).toEqual([
      ...answer.points.map((p, i) => [
        '',
        p.t,
        p.value,
        answer.previous!.points[i]!.t,
        answer.previous!.points[i]!.value,
      ]),
      ...answer.series.flatMap((s) =>
        s.points.map((p, i) => [s.value, p.t, p.value, s.previous!.points[i]!.t, s.previous!.points[i]!.value]),
      ),
    ]);
  });
});

describe('ranges beyond the raw-event retention', () => {
  it("refuses raw-event reads older than the tenant's retention with beyond_retention; rollup reads answer", async () => {
    const short = await env.createTenant();
    await env.adapters.sql`update tenants set retention_days = 2 where id = ${short.id}`;
    const from = iso(bucketStart(Date.now() - 3 * DAY, '1h'));
    const filtered = await get(`/v1/metrics?event_type=order&interval=1h&from=${from}&prop.plan=pro`, short);
    expect(filtered.status).toBe(400);
    expect(filtered.body).toMatchObject({
      error: { code: 'beyond_retention', message: expect.stringMatching(/kept 2 days.*from=\S+ or later/) },
    });
    const nested = await get(`/v1/metrics?event_type=order&interval=1h&from=${from}&metric=sum:cart.total`, short);
    expect(nested.status).toBe(400);
    expect((await get(`/v1/metrics?event_type=order&interval=1h&from=${from}`, short)).status).toBe(200);
    // Inside the retention, but the previous range is not.
    const recent = iso(bucketStart(Date.now() - 30 * HOUR, '1h'));
    expect((await get(`/v1/metrics?event_type=order&interval=1h&from=${recent}&prop.plan=pro`, short)).status).toBe(
      200,
    );
    const compared = await get(
      `/v1/metrics?event_type=order&interval=1h&from=${recent}&prop.plan=pro&compare=previous`,
      short,
    );
    expect(compared.status).toBe(400);
    expect(compared.body).toMatchObject({
      error: { code: 'beyond_retention', message: expect.stringContaining('previous range') },
    });
  });
});
