// Ratio, absence, no_data, `for`, cooldown, anomaly and filtered rules, each firing and resolving when it should and
// not otherwise, over data stored by the real aggregate handler; the engine's clock is injected and moved by the test.
import { useTestEnv } from '../../test/harness';
import { call, mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from '../aggregate/handler';
import { createAlertTick } from './handler';
import { evaluateRule } from '../../core/alert-evaluation';
import { getRule } from '../../adapters/postgres/alert-rules-store';
import type { Adapters } from '../../adapters';
import { currentStates, listHistory } from '../../adapters/postgres/alert-store';

const S = 1_000;
const MIN = 60 * S;
let clock = 0;
let deps: Adapters;
let offset = 0;

const { env, tenant, runtime } = useTestEnv('alertkinds', {
  overrides: { ALERT_ALLOWED_LATENESS: '20s' },
  tenants: 1,
  runtime: { consumers: false },
  adapters: (env) => {
    // 10s buckets are aligned; start the clock a little after a bucket boundary, an hour ago.
    clock = Math.floor((Date.now() - 3_600_000) / 10_000) * 10_000 + 1_000;
    return (deps = { ...env.adapters, now: () => clock });
  },
});

async function events(eventType: string, n: number, props: Record<string, unknown> = {}) {
  if (n === 0) return;
  const list = Array.from({ length: n }, (_, i) =>
    rawEvent(tenant, { eventType, timestampMs: clock, userId: `u${i}`, properties: props }),
  );
  await createAggregateHandler(deps)(mskBatch(env.config.kafka.topics.eventsRaw, list, 0, (offset += n)));
}

async function createRule(body: Record<string, unknown>): Promise<string> {
  const res = await call(runtime.url, '/v1/alert-rules', {
    key: tenant.keys.admin,
    json: { name: 'r', window: '1m', ...body },
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.id;
}

/** Evaluates the rule at the current clock; returns its state. */
async function evaluate(ruleId: string): Promise<string> {
  const stored = await getRule(env.adapters.sql, tenant.id, ruleId);
  await evaluateRule(deps, stored!.rule, clock);
  const s = (await currentStates(env.adapters.sql, tenant.id)).get(ruleId);
  return s!.state;
}

/** The rule's transitions, oldest first. */
async function history(ruleId: string) {
  return (await listHistory(env.adapters.sql, tenant.id, { ruleId, limit: 1_000 })).reverse();
}

async function transitions(ruleId: string): Promise<string[]> {
  const rows = await history(ruleId);
  return rows.map(
    (h) => `${h.from}>${h.to}${h.notification === null ? '' : `:${h.notification}`}${h.silenced ? ':silenced' : ''}`,
  );
}

it('ratio: login_failed / login_attempt above 0.5 fires; a zero denominator is no_data; falling back resolves', async () => {
  const id = await createRule({
    metric: 'ratio',
    numerator: 'login_failed',
    denominator: 'login_attempt',
    condition: { op: '>', threshold: 0.5 },
  });
  expect(await evaluate(id)).toBe('no_data');
  await events('login_attempt', 10);
  await events('login_failed', 4);
  expect(await evaluate(id)).toBe('ok'); // 0.4
  await events('login_failed', 2);
  expect(await evaluate(id)).toBe('firing'); // 0.6
  await events('login_attempt', 10);
  expect(await evaluate(id)).toBe('firing'); // 0.3, but the lateness has not passed
  clock += 21 * S;
  expect(await evaluate(id)).toBe('ok');
  expect(await transitions(id)).toEqual(['ok>no_data', 'no_data>ok', 'ok>firing:firing', 'firing>ok:resolved']);
});

it('absence: nothing arriving in the window fires through the scheduled tick, and an event resolves it', async () => {
  const id = await createRule({ event_type: 'heartbeat', condition: { op: '<', threshold: 1 }, window: '30s' });
  await events('heartbeat', 1);
  await createAlertTick(deps)();
  expect(await transitions(id)).toEqual([]);
  clock += 40 * S;
  await createAlertTick(deps)(); // the tick evaluates absence rules while ok
  expect(await transitions(id)).toEqual(['ok>firing:firing']);
  await events('heartbeat', 1);
  await createAlertTick(deps)();
  clock += 21 * S;
  await events('heartbeat', 1);
  await createAlertTick(deps)();
  expect(await transitions(id)).toEqual(['ok>firing:firing', 'firing>ok:resolved']);
});

it('for: the condition must hold for the whole period before firing; a dip resets it', async () => {
  const id = await createRule({ event_type: 'slow', condition: { op: '>=', threshold: 2 }, window: '1m', for: '30s' });
  await events('slow', 2);
  expect(await evaluate(id)).toBe('pending');
  clock += 20 * S;
  expect(await evaluate(id)).toBe('pending');
  clock += 50 * S; // the events left the window
  expect(await evaluate(id)).toBe('ok');
  await events('slow', 3);
  expect(await evaluate(id)).toBe('pending');
  clock += 30 * S;
  expect(await evaluate(id)).toBe('firing');
  expect(await transitions(id)).toEqual(['ok>pending', 'pending>ok', 'ok>pending', 'pending>firing:firing']);
});

it('cooldown: a second firing inside it is silent; the resolves are sent; after it, firing notifies again', async () => {
  const id = await createRule({
    event_type: 'flappy',
    condition: { op: '>', threshold: 0 },
    window: '10s',
    cooldown: '10m',
  });
  const flap = async () => {
    await events('flappy', 1);
    await evaluate(id);
    clock += 40 * S;
    await evaluate(id);
    clock += 21 * S;
    await evaluate(id);
  };
  await flap();
  await flap();
  clock += 10 * MIN;
  await flap();
  expect(await transitions(id)).toEqual([
    'ok>firing:firing',
    'firing>ok:resolved',
    'ok>firing:silenced',
    'firing>ok:resolved',
    'ok>firing:firing',
    'firing>ok:resolved',
  ]);
  const notifications = (await history(id)).flatMap((h) => h.deliveries);
  expect(notifications).toHaveLength(0); // no channels configured: transitions are recorded, nothing to send
});

it('anomaly: a spike far outside the band of the previous windows fires; ordinary traffic does not', async () => {
  const id = await createRule({
    metric: 'anomaly',
    event_type: 'orders',
    window: '30s',
    anomaly: { of: 'count', sensitivity: 4, direction: 'above', baseline_windows: 6 },
  });
  await events('orders', 10);
  expect(await evaluate(id)).toBe('no_data'); // no history to learn a band from yet
  for (let i = 1; i < 7; i++) {
    clock += 30 * S;
    await events('orders', 10 + (i % 3));
  }
  clock += 30 * S;
  await events('orders', 11);
  expect(await evaluate(id)).toBe('ok');
  clock += 30 * S;
  await events('orders', 60);
  expect(await evaluate(id)).toBe('firing');
  const row = (await history(id)).find((h) => h.to === 'firing');
  expect(row!.value).toBeGreaterThan(4);
});

it('filters and sums: avg:amount of EU checkouts only', async () => {
  const id = await createRule({
    event_type: 'checkout',
    metric: 'avg:amount',
    filter: { region: 'eu' },
    condition: { op: '>', threshold: 100 },
  });
  expect(await evaluate(id)).toBe('no_data'); // avg of no events is undefined
  await events('checkout', 3, { region: 'us', amount: 500 });
  await events('checkout', 2, { region: 'eu', amount: 50 });
  expect(await evaluate(id)).toBe('ok');
  await events('checkout', 2, { region: 'eu', amount: 200 });
  expect(await evaluate(id)).toBe('firing'); // (50+50+200+200)/4 = 125
});

it('filter keys are property names as GET /v1/metrics takes them after prop.: spaces and any other character included', async () => {
  const filter = { 'shipping method': 'express', 'order.gift wrap': true, 'prix (€)': 9.5 };
  const id = await createRule({ event_type: 'shipped', filter, condition: { op: '>=', threshold: 2 } });
  const stored = await call(runtime.url, `/v1/alert-rules/${id}`, { key: tenant.keys.read });
  expect(stored.body.filter).toEqual(filter);
  await events('shipped', 3, { 'shipping method': 'standard', order: { 'gift wrap': true }, 'prix (€)': 9.5 });
  await events('shipped', 1, { 'shipping method': 'express', order: { 'gift wrap': true }, 'prix (€)': 9.5 });
  expect(await evaluate(id)).toBe('ok');
  await events('shipped', 1, { 'shipping method': 'express', order: { 'gift wrap': true }, 'prix (€)': 9.5 });
  expect(await evaluate(id)).toBe('firing');
  // The same filter on GET /v1/metrics counts the same events.
  const q = new URLSearchParams({
    event_type: 'shipped',
    metric: 'count',
    interval: '1h',
    from: new Date(clock - 3_600_000).toISOString(),
    to: new Date(clock + 60_000).toISOString(),
  });
  for (const [k, v] of Object.entries(filter)) q.append(`prop.${k}`, String(v));
  const metrics = await call(runtime.url, `/v1/metrics?${q}`, { key: tenant.keys.read });
  expect(metrics.status).toBe(200);
  expect(metrics.body.points.reduce((n: number, p: { value: number }) => n + p.value, 0)).toBe(2);
  // What metrics refuse, rules refuse, saying how to fix it.
  for (const key of ['a..b', '.a', 'a.', 'a.b.c.d.e.f.g', '']) {
    const bad = await call(runtime.url, '/v1/alert-rules', {
      key: tenant.keys.admin,
      json: {
        name: 'x',
        window: '1m',
        event_type: 'shipped',
        condition: { op: '>', threshold: 1 },
        filter: { [key]: 'v' },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /filter keys must be a property name or a dotted path of at most 6 non-empty names/,
    );
  }
});

it('preview: when a rule would have fired over the past, and the series it saw', async () => {
  const rule = { event_type: 'preview_me', condition: { op: '>', threshold: 2 }, window: '30s' };
  const start = clock;
  await events('preview_me', 1);
  clock += 60 * S;
  await events('preview_me', 3);
  clock += 60 * S;
  const res = await call(runtime.url, '/v1/alert-rules/preview', {
    key: tenant.keys.read,
    json: { rule, from: new Date(start - 20 * S).toISOString(), to: new Date(clock).toISOString() },
  });
  expect(res.status).toBe(200);
  expect(res.body.step).toBe('10s');
  expect(res.body.fired).toEqual([new Date(start + 60 * S).toISOString()]); // the events' time, not their bucket's start
  // The point of the window ending at the next boundary (data before it).
  const boundary = (Math.floor((start + 60 * S) / 10_000) + 1) * 10_000;
  expect(res.body.series.find((p: { t: string }) => p.t === new Date(boundary).toISOString())).toMatchObject({
    value: 3,
    state: 'firing',
  });
  expect(Math.max(...res.body.series.map((p: { value: number }) => p.value))).toBe(3);
  const bad = await call(runtime.url, '/v1/alert-rules/preview', {
    key: tenant.keys.read,
    json: { rule: { ...rule, window: '3d' }, from: new Date(start).toISOString() },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/^rule\.window|window/);
});

it('preview (injected clock): the firing at the crossing event, nothing simulated after now', async () => {
  const rule = { event_type: 'crossing', condition: { op: '>=', threshold: 3 }, window: '1m' };
  const bucket = Math.floor(clock / (10 * S)) * 10 * S;
  const at = (ms: number) => new Date(ms).toISOString();
  const stamped = async (ms: number, n: number) => {
    const list = Array.from({ length: n }, (_, i) =>
      rawEvent(tenant, { eventType: 'crossing', timestampMs: ms, userId: `c${i}` }),
    );
    await createAggregateHandler(deps)(mskBatch(env.config.kafka.topics.eventsRaw, list, 0, (offset += n)));
  };
  await stamped(bucket + 20 * S + 2_250, 1);
  await stamped(bucket + 20 * S + 6_500, 1);
  await stamped(bucket + 20 * S + 8_125, 1); // the third event, the crossing: 8.125 s into its bucket
  // Events stamped after the injected now: a preview must not see them (they would fire it a second time later).
  await stamped(bucket + 200 * S, 5);
  clock = bucket + 95 * S + 500;
  const preview = (body: Record<string, unknown>) =>
    call(runtime.url, '/v1/alert-rules/preview', { key: tenant.keys.read, json: { rule, ...body } });
  const res = await preview({ from: at(bucket), to: at(clock + 3_600_000) });
  expect(res.status).toBe(200);
  expect(res.body.fired).toEqual([at(bucket + 28_125)]);
  expect(
    res.body.transitions.map((t: { at: string; from: string; to: string; value: number }) => [
      t.at,
      t.from,
      t.to,
      t.value,
    ]),
  ).toEqual([[at(bucket + 28_125), 'ok', 'firing', 3]]);
  expect(res.body.to).toBe(at(clock)); // capped at now
  const times = res.body.series.map((p: { t: string }) => Date.parse(p.t));
  expect(Math.max(...times)).toBe(clock);
  expect(res.body.series.every((p: { value: number }) => p.value <= 3)).toBe(true);
  // Without `to`: up to now as well; from in the future is refused.
  expect((await preview({ from: at(bucket) })).body.to).toBe(at(clock));
  const future = await preview({ from: at(clock + 1_000) });
  expect(future.status).toBe(400);
  expect(future.body.error.message).toMatch(/^from must be in the past/);
  // Later, the future events are the past: the window then holds them and the rule resolves and fires again at them.
  clock = bucket + 260 * S;
  const later = await preview({ from: at(bucket) });
  expect(later.body.fired).toEqual([at(bucket + 28_125), at(bucket + 200 * S)]);
});

it('refuses text Postgres cannot store (lone surrogates) anywhere in a rule with a 400 saying where', async () => {
  const base = { name: 'x', window: '1m', event_type: 'a', condition: { op: '>', threshold: 1 } };
  for (const body of [
    { ...base, name: 'bad \ud800 name' },
    { ...base, event_type: 'a\udc00' },
    { ...base, filter: { 'k\ud83d': 'v' } },
    { ...base, filter: { k: 'v\udfff' } },
    { ...base, channels: [{ type: 'webhook', url: 'https://example.com/\ud800' }] },
  ]) {
    const res = await call(runtime.url, '/v1/alert-rules', { key: tenant.keys.admin, json: body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/lone UTF-16 surrogate/);
  }
  const preview = await call(runtime.url, '/v1/alert-rules/preview', {
    key: tenant.keys.read,
    json: { rule: { ...base, filter: { k: '\ud800' } }, from: new Date(clock - 60_000).toISOString() },
  });
  expect(preview.status).toBe(400);
});

it('refuses invalid rules with a message that says how to fix them', async () => {
  const bad = async (body: Record<string, unknown>) =>
    (await call(runtime.url, '/v1/alert-rules', { key: tenant.keys.admin, json: { name: 'x', window: '1m', ...body } }))
      .body.error.message as string;
  expect(await bad({ event_type: 'a' })).toBe('condition: is required, e.g. {"op": ">", "threshold": 10}');
  expect(await bad({ metric: 'ratio', numerator: 'a', condition: { op: '>', threshold: 1 } })).toMatch(
    /^numerator: a ratio rule needs numerator and denominator/,
  );
  expect(await bad({ event_type: 'a', condition: { op: '>', threshold: 1 }, window: '2d' })).toMatch(
    /^window: window must be a duration such as 30s, 5m, 1h or 1d, from 10s to 24h/,
  );
  expect(
    await bad({
      event_type: 'a',
      condition: { op: '>', threshold: 1 },
      channels: [{ type: 'webhook', url: 'ftp://x' }],
    }),
  ).toMatch(/url must use https/);
  expect(await bad({ event_type: 'a', condition: { op: '>', threshold: 1 }, project: 'nope' })).toMatch(
    /project: "nope" does not exist/,
  );
  expect(
    await bad({
      event_type: 'a',
      condition: { op: '>', threshold: 1 },
      channels: [{ type: 'email', to: ['not-an-address'] }],
    }),
  ).toMatch(/e-mail/);
});

/** n events of `latency` = value (and the other properties). */
const latencies = (n: number, value: number, props: Record<string, unknown> = {}) =>
  events('request', n, { latency: value, ...props });

it('p95 over the window fires when the slow tail grows past the threshold and resolves when it leaves', async () => {
  const id = await createRule({ event_type: 'request', metric: 'p95:latency', condition: { op: '>', threshold: 500 } });
  expect(await evaluate(id)).toBe('no_data'); // the percentile of no values is undefined
  await latencies(100, 100);
  expect(await evaluate(id)).toBe('ok'); // p95 = 100
  await latencies(10, 1_000);
  expect(await evaluate(id)).toBe('firing'); // rank ⌊0.95 · 109⌋ = 103 of 110: 1 000
  clock += 70 * S; // those events left the window
  await latencies(100, 100);
  expect(await evaluate(id)).toBe('firing'); // p95 = 100 now, but the allowed lateness has not passed
  clock += 21 * S;
  expect(await evaluate(id)).toBe('ok');
  expect(await transitions(id)).toEqual(['ok>no_data', 'no_data>ok', 'ok>firing:firing', 'firing>ok:resolved']);
  const [row] = await env.adapters.sql<
    { value: number }[]
  >`select value from alert_history where rule_id = ${id} and to_state = 'firing'`;
  expect(Math.abs(row!.value - 1_000)).toBeLessThanOrEqual(10); // within 0.99 %
});

it('p95 with a filter reads raw events: only the filtered events count', async () => {
  clock += 70 * S;
  const id = await createRule({
    event_type: 'purchase',
    metric: 'p95:amount',
    filter: { region: 'eu' },
    condition: { op: '>', threshold: 390 },
  });
  await events('purchase', 20, { region: 'us', amount: 900 });
  await events('purchase', 20, { region: 'eu', amount: 50 });
  expect(await evaluate(id)).toBe('ok');
  await events('purchase', 5, { region: 'eu', amount: 400 });
  expect(await evaluate(id)).toBe('firing'); // rank ⌊0.95 · 24⌋ = 22 of 25 EU values: 400 within 0.99 %
});
