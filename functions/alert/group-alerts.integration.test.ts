// Per-segment alerts (`group_by`, docs/api.md#alert-rules-and-alerts) end to end: rules created over the API, events
// stored by the real aggregate handler, the engine's evaluation at an injected clock, and its notifications delivered
// by the real dispatcher to a real HTTP receiver and a real SMTP server.
import fc from 'fast-check';
import { useTestEnv, eventually, type TestTenant } from '../../test/harness';
import { call, mskBatch, rawEvent, type CallResult } from '../../test/builders';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver';
import { startSmtpSink, type SmtpSink } from '../../local/smtp-sink';
import { createAggregateHandler } from '../aggregate/handler';
import { evaluateRule } from '../../core/alert-evaluation';
import { MAX_GROUPS } from '../../core/alert-groups';
import { averageOf } from '../../core/rollups';
import { verifySignature } from '../../core/webhook';
import { dispatch } from '../../adapters/dispatcher';
import { createNotifiers, type Notifiers } from '../../adapters/notifiers';
import { getRule } from '../../adapters/postgres/alert-rules-store';
import type { Adapters } from '../../adapters';

/** A JSON body as the API answered it. */
type Body = CallResult['body'];

const S = 1_000;
let clock = 0;
let deps: Adapters;
let offset = 0;
let hooks: WebhookReceiver;
let smtp: SmtpSink;
let notifiers: Notifiers;

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  smtp = await startSmtpSink({ port: 0, dir: null });
});
const {
  env,
  runtime,
  tenants: [tenant, other],
} = useTestEnv('groupalerts', {
  overrides: () => ({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, ALERT_ALLOWED_LATENESS: '20s' }),
  tenants: 2,
  runtime: { consumers: false },
  adapters: (env) => {
    clock = Math.floor((Date.now() - 3_600_000) / 10_000) * 10_000 + 1_000;
    return (deps = { ...env.adapters, now: () => clock });
  },
});
beforeAll(() => {
  notifiers = createNotifiers(env.config);
});
afterAll(async () => {
  notifiers?.close();
  await hooks?.stop();
  await smtp?.stop();
});

/** n events of `eventType` for tenant `t`, stamped now, with the properties (user ids u0..u(n-1) unless given). */
async function events(t: TestTenant, eventType: string, n: number, props: Record<string, unknown> = {}, user?: string) {
  if (n === 0) return;
  const list = Array.from({ length: n }, (_, i) =>
    rawEvent(t, { eventType, timestampMs: clock, userId: user ?? `u${i}`, properties: props }),
  );
  await createAggregateHandler(deps)(mskBatch(env.config.kafka.topics.eventsRaw, list, 0, (offset += n)));
}

async function createRule(t: TestTenant, body: Record<string, unknown>): Promise<Body> {
  const res = await call(runtime.url, '/v1/alert-rules', {
    key: t.keys.admin,
    json: { name: 'r', window: '1m', ...body },
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body;
}

/** Evaluates the rule at the current clock and makes the first delivery attempt of what it created. */
async function evaluate(t: TestTenant, ruleId: string): Promise<void> {
  const stored = await getRule(env.adapters.sql, t.id, ruleId);
  const ids = await evaluateRule(deps, stored!.rule, clock);
  await dispatch({ ...deps, ...notifiers }, { ids });
}

const getRuleView = async (t: TestTenant, id: string) =>
  (await call(runtime.url, `/v1/alert-rules/${id}`, { key: t.keys.read })).body;
const hooksOf = (ruleId: string) => hooks.received.filter((h: Body) => h.json.rule_id === ruleId);

it('two groups: DE fires and FR stays ok; the signed webhook and the e-mail name the group; DE resolves on its own; history per group', async () => {
  const rule = await createRule(tenant, {
    name: 'Checkout failures by country',
    event_type: 'checkout_failed',
    group_by: 'country',
    condition: { op: '>', threshold: 2 },
    channels: [
      { type: 'webhook', url: hooks.url },
      { type: 'email', to: ['ops@example.com'] },
    ],
  });
  expect(rule.group_by).toBe('country');
  expect(rule.groups).toEqual([]);
  const secret: string = rule.channels[0].secret;
  await events(tenant, 'checkout_failed', 3, { country: 'DE' });
  await events(tenant, 'checkout_failed', 1, { country: 'FR' });
  await events(tenant, 'checkout_failed', 5, {}); // without the property: in no group
  await evaluate(tenant, rule.id);

  const [hook, ...more] = hooksOf(rule.id);
  expect(more).toEqual([]);
  expect(hook!.json).toMatchObject({
    rule_id: rule.id,
    state: 'firing',
    value: 3,
    threshold: 2,
    group: { country: 'DE' },
  });
  expect(verifySignature(secret, hook!.body, String(hook!.headers['x-customersignal-signature']), Date.now())).toBe(
    true,
  );
  const mail = await eventually(async () =>
    smtp.received.find((m: Body) => m.raw.includes('[FIRING] Checkout failures by country (country = DE)')),
  );
  expect(mail.raw).toContain('Group: country = DE');
  expect(mail.raw).toContain('value 3, threshold 2, window 1m');

  // The rule's GET: the summary state and each group with its state and last value.
  let view = await getRuleView(tenant, rule.id);
  expect(view.status).toMatchObject({ state: 'firing', value: null, groups_truncated: 0 });
  expect(view.groups.map((g: Body) => [g.group, g.key, g.state, g.value])).toEqual([
    [{ country: 'DE' }, 'DE', 'firing', 3],
    [{ country: 'FR' }, 'FR', 'ok', 1],
  ]);

  // More of FR, still under the threshold; DE's events leave the window: DE resolves after the lateness.
  clock += 40 * S;
  await events(tenant, 'checkout_failed', 2, { country: 'FR' });
  clock += 30 * S; // DE's events are out of the 1m window, FR's new ones in it
  await evaluate(tenant, rule.id);
  expect(hooksOf(rule.id)).toHaveLength(1); // the resolve waits for the allowed lateness
  clock += 21 * S;
  await evaluate(tenant, rule.id);
  const resolved = hooksOf(rule.id).filter((h: Body) => h.json.state === 'ok');
  expect(resolved.map((h: Body) => [h.json.group, h.json.value])).toEqual([[{ country: 'DE' }, 0]]);
  expect(
    verifySignature(secret, resolved[0]!.body, String(resolved[0]!.headers['x-customersignal-signature']), Date.now()),
  ).toBe(true);
  await eventually(async () =>
    smtp.received.find((m: Body) => m.raw.includes('[RESOLVED] Checkout failures by country (country = DE)')),
  );
  view = await getRuleView(tenant, rule.id);
  expect(view.status.state).toBe('ok');
  expect(view.groups.map((g: Body) => [g.key, g.state, g.value])).toEqual([
    ['DE', 'ok', 0],
    ['FR', 'ok', 2],
  ]);

  // History per group: DE's two transitions, each naming the group, with their deliveries; none for FR.
  const de = await call(runtime.url, `/v1/alerts?rule_id=${rule.id}&group=DE`, { key: tenant.keys.read });
  expect(de.status).toBe(200);
  expect(de.body.alerts.map((a: Body) => [a.group, a.from, a.to, a.value])).toEqual([
    [{ country: 'DE' }, 'firing', 'ok', 0],
    [{ country: 'DE' }, 'ok', 'firing', 3],
  ]);
  expect(de.body.alerts[1].deliveries.map((d: Body) => [d.channel, d.status]).sort()).toEqual([
    ['email', 'delivered'],
    ['webhook', 'delivered'],
  ]);
  const fr = await call(runtime.url, `/v1/alerts?rule_id=${rule.id}&group=FR`, { key: tenant.keys.read });
  expect(fr.body.alerts).toEqual([]);
  const all = await call(runtime.url, `/v1/alerts?rule_id=${rule.id}`, { key: tenant.keys.read });
  expect(all.body.alerts).toHaveLength(2);

  // Idle ok groups are forgotten once nothing of them is in the window.
  clock += 70 * S;
  await evaluate(tenant, rule.id);
  expect((await getRuleView(tenant, rule.id)).groups).toEqual([]);
}, 60_000);

it('a rule without group_by keeps its payload and history shape (no group)', async () => {
  const rule = await createRule(tenant, {
    event_type: 'plain',
    condition: { op: '>', threshold: 0 },
    channels: [{ type: 'webhook', url: hooks.url }],
  });
  await events(tenant, 'plain', 1, { country: 'DE' });
  await evaluate(tenant, rule.id);
  const [hook] = hooksOf(rule.id);
  expect(Object.keys(hook!.json).sort()).toEqual(
    ['at', 'event_type', 'id', 'project', 'rule_id', 'rule_name', 'state', 'threshold', 'value', 'window'].sort(),
  );
  const view = await getRuleView(tenant, rule.id);
  expect('groups' in view).toBe(false);
  expect(view.status).toEqual({ state: 'firing', since: expect.any(String), value: 1 });
  const history = await call(runtime.url, `/v1/alerts?rule_id=${rule.id}`, { key: tenant.keys.read });
  expect(history.body.alerts[0].group).toBeNull();
});

it('every plain metric and ratio per group, by a nested path: each group’s value is the rule’s value filtered to it', async () => {
  clock += 120 * S;
  const countries = ['DE', 'FR', 'US'];
  const reference = new Map<string, { n: number; amounts: number[]; users: Set<string> }>();
  // Generated events (each country at least once), sent in one batch; numbers of every sign and magnitude.
  const generated = fc.sample(
    fc.array(
      fc.record({
        country: fc.constantFrom(...countries),
        amount: fc.integer({ min: -1_000_000, max: 1_000_000 }),
        user: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
      }),
      { minLength: 20, maxLength: 60 },
    ),
    1,
  )[0]!;
  const list = [...countries.map((country) => ({ country, amount: 7, user: 'a' })), ...generated];
  await createAggregateHandler(deps)(
    mskBatch(
      env.config.kafka.topics.eventsRaw,
      list.map((e) =>
        rawEvent(tenant, {
          eventType: 'order',
          timestampMs: clock,
          userId: e.user,
          properties: { geo: { country: e.country }, amount: e.amount },
        }),
      ),
      0,
      (offset += list.length),
    ),
  );
  for (const e of list) {
    const r = reference.get(e.country) ?? { n: 0, amounts: [], users: new Set<string>() };
    r.n++;
    r.amounts.push(e.amount);
    r.users.add(e.user);
    reference.set(e.country, r);
  }
  // Values no group takes: a missing property, null, an empty text and a text longer than 200 characters.
  await events(tenant, 'order', 1, { geo: { country: '' }, amount: 1_000 });
  await events(tenant, 'order', 2, { geo: {}, amount: 1_000 });
  await events(tenant, 'order', 1, { geo: { country: null }, amount: 1_000 });
  await events(tenant, 'order', 1, { geo: { country: 'x'.repeat(201) }, amount: 1_000 });
  await events(tenant, 'order_try', 10, { geo: { country: 'DE' } });
  await events(tenant, 'order_try', 5, { geo: { country: 'FR' } });

  const metrics = ['count', 'unique_users', 'sum:amount', 'avg:amount', 'p50:amount', 'p99:amount', 'ratio'];
  for (const metric of metrics) {
    const body =
      metric === 'ratio' ? { metric, numerator: 'order', denominator: 'order_try' } : { metric, event_type: 'order' };
    const grouped = await createRule(tenant, {
      ...body,
      group_by: 'geo.country',
      condition: { op: '>', threshold: 1e9 },
    });
    await evaluate(tenant, grouped.id);
    const view = await getRuleView(tenant, grouped.id);
    const values = new Map<string, number | null>(view.groups.map((g: Body) => [g.key, g.value]));
    expect([...values.keys()].sort()).toEqual(countries);
    for (const c of countries) {
      const filtered = await createRule(tenant, {
        ...body,
        filter: { 'geo.country': c },
        condition: { op: '>', threshold: 1e9 },
      });
      await evaluate(tenant, filtered.id);
      const single = (await getRuleView(tenant, filtered.id)).status.value;
      expect([metric, c, values.get(c)]).toEqual([metric, c, single]);
      const r = reference.get(c)!;
      const sum = r.amounts.reduce((a, b) => a + b, 0);
      const exact: Record<string, number | null> = {
        count: r.n,
        unique_users: r.users.size,
        'sum:amount': sum,
        'avg:amount': averageOf(String(sum), String(r.n)), // the exact decimal quotient, as a double
        ratio: c === 'US' ? null : r.n / (c === 'DE' ? 10 : 5),
      };
      if (metric in exact) expect([metric, c, values.get(c)]).toEqual([metric, c, exact[metric]]);
    }
  }
}, 120_000);

it(`the cap: at most ${MAX_GROUPS} groups, the most alarming ones; the others are counted in groups_truncated`, async () => {
  clock += 120 * S;
  const rule = await createRule(tenant, {
    event_type: 'many',
    group_by: 'shard',
    condition: { op: '>', threshold: 1 },
  });
  // 5 quiet groups (1 event each) and 100 busy ones (2 events each): the busy ones are evaluated.
  for (let g = 0; g < MAX_GROUPS + 5; g++) await events(tenant, 'many', g < 5 ? 1 : 2, { shard: `s${g}` });
  await evaluate(tenant, rule.id);
  const view = await getRuleView(tenant, rule.id);
  expect(view.status).toMatchObject({ state: 'firing', groups_truncated: 5 });
  expect(view.groups).toHaveLength(MAX_GROUPS);
  expect(view.groups.every((g: Body) => g.state === 'firing' && g.value === 2)).toBe(true);
  expect(view.groups.some((g: Body) => ['s0', 's1', 's2', 's3', 's4'].includes(g.key))).toBe(false);
  // A quiet group that becomes the most alarming takes a place only when one frees up: the firing ones keep theirs.
  await events(tenant, 'many', 10, { shard: 's0' });
  await evaluate(tenant, rule.id);
  const after = await getRuleView(tenant, rule.id);
  expect(after.groups).toHaveLength(MAX_GROUPS);
  expect(after.status.groups_truncated).toBe(5);
  expect(after.groups.some((g: Body) => g.key === 's0')).toBe(false);
}, 60_000);

it('preview per group: each group’s series and transitions, or the one group asked for', async () => {
  clock += 120 * S;
  const start = clock;
  await events(tenant, 'pv', 3, { country: 'DE' });
  await events(tenant, 'pv', 1, { country: 'FR' });
  clock += 60 * S;
  const rule = { event_type: 'pv', group_by: 'country', condition: { op: '>', threshold: 2 }, window: '30s' };
  const preview = (body: Record<string, unknown>) =>
    call(runtime.url, '/v1/alert-rules/preview', { key: tenant.keys.read, json: body });
  const res = await preview({ rule, from: new Date(start - 20 * S).toISOString() });
  expect(res.status).toBe(200);
  expect(res.body.group_by).toBe('country');
  const byKey = new Map<string, Body>(res.body.groups.map((g: Body) => [g.group.country, g]));
  expect([...byKey.keys()].sort()).toEqual(['DE', 'FR']);
  const de = byKey.get('DE');
  expect(de.fired).toEqual([new Date(start).toISOString()]);
  expect(de.transitions.map((t: Body) => [t.from, t.to])).toEqual([
    ['ok', 'firing'],
    ['firing', 'ok'],
  ]);
  expect(Math.max(...de.series.map((p: Body) => p.value))).toBe(3);
  const fr = byKey.get('FR');
  expect(fr.fired).toEqual([]);
  expect(Math.max(...fr.series.map((p: Body) => p.value))).toBe(1);
  expect(res.body.fired).toEqual(de.fired);
  expect(res.body.transitions.every((t: Body) => t.group.country === 'DE')).toBe(true);
  expect(res.body.groups_truncated).toBe(0);
  const one = await preview({ rule, from: new Date(start - 20 * S).toISOString(), group: 'FR' });
  expect(one.body.groups.map((g: Body) => g.group)).toEqual([{ country: 'FR' }]);
  const noGroupBy = await preview({
    rule: { ...rule, group_by: undefined },
    from: new Date(start).toISOString(),
    group: 'FR',
  });
  expect(noGroupBy.status).toBe(400);
  expect(noGroupBy.body.error.message).toMatch(/group belongs to rules with group_by/);
}, 60_000);

it('refuses a bad group_by with a 400 that says how to fix it; never a 5xx on any input', async () => {
  const base = { name: 'x', window: '1m', event_type: 'a', condition: { op: '>', threshold: 1 } };
  const bad = async (body: Record<string, unknown>) => {
    const res = await call(runtime.url, '/v1/alert-rules', { key: tenant.keys.admin, json: body });
    expect(res.status).toBe(400);
    return res.body.error.message as string;
  };
  for (const path of ['', 'a..b', '.a', 'a.']) {
    expect(await bad({ ...base, group_by: path })).toMatch(/group_by must be a property name or a dotted path/);
  }
  expect(await bad({ ...base, group_by: 'a.b.c.d.e.f.g' })).toMatch(/group_by may be at most 6 names deep \(got 7\)/);
  expect(await bad({ ...base, group_by: 'x'.repeat(201) })).toMatch(/group_by must be at most 200 characters/);
  expect(await bad({ ...base, group_by: 7 })).toMatch(/group_by/);
  expect(await bad({ ...base, group_by: 'k\ud800' })).toMatch(/lone UTF-16 surrogate/);
  expect(
    await bad({
      ...base,
      metric: 'anomaly',
      condition: undefined,
      anomaly: { of: 'count' },
      group_by: 'country',
    }),
  ).toMatch(/group_by: is not supported with metric "anomaly"/);
  // Six names deep, spaces and any other character are fine (as filter keys).
  expect((await createRule(tenant, { ...base, group_by: 'a.b.c.d.e.f' })).group_by).toBe('a.b.c.d.e.f');
  expect((await createRule(tenant, { ...base, group_by: 'shipping method' })).group_by).toBe('shipping method');

  const bodyStatus = async (path: string, json: unknown, method = 'POST') =>
    (await call(runtime.url, path, { key: tenant.keys.admin, json, method })).status;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 260 }), fc.string({ unit: 'grapheme', maxLength: 30 })),
      fc.oneof(fc.string({ unit: 'binary', maxLength: 220 }), fc.constant('')),
      async (groupBy, group) => {
        const created = await bodyStatus('/v1/alert-rules', { ...base, group_by: groupBy });
        expect([201, 400]).toContain(created);
        const preview = await bodyStatus('/v1/alert-rules/preview', {
          rule: { ...base, group_by: groupBy },
          from: new Date(clock - 60 * S).toISOString(),
          group,
        });
        expect([200, 400]).toContain(preview);
        const q = new URLSearchParams({ group });
        const history = await call(runtime.url, `/v1/alerts?${q}`, { key: tenant.keys.read });
        expect([200, 400]).toContain(history.status);
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);

it('tenant isolation: groups count only the tenant’s own events; the other tenant reaches neither its groups nor its history', async () => {
  clock += 120 * S;
  const rule = await createRule(tenant, {
    event_type: 'iso',
    group_by: 'country',
    condition: { op: '>', threshold: 1 },
  });
  await events(other, 'iso', 5, { country: 'DE' });
  await events(other, 'iso', 5, { country: 'XX' });
  await events(tenant, 'iso', 1, { country: 'DE' });
  await evaluate(tenant, rule.id);
  const view = await getRuleView(tenant, rule.id);
  expect(view.groups.map((g: Body) => [g.key, g.value, g.state])).toEqual([['DE', 1, 'ok']]);
  expect((await call(runtime.url, `/v1/alert-rules/${rule.id}`, { key: other.keys.read })).status).toBe(404);
  expect((await call(runtime.url, `/v1/alerts?rule_id=${rule.id}&group=DE`, { key: other.keys.read })).status).toBe(
    404,
  );
  await events(tenant, 'iso', 1, { country: 'DE' });
  await evaluate(tenant, rule.id);
  const mine = await call(runtime.url, `/v1/alerts?group=DE`, { key: tenant.keys.read });
  expect(mine.body.alerts.filter((a: Body) => a.rule_id === rule.id)).toHaveLength(1);
  const theirs = await call(runtime.url, `/v1/alerts?group=DE`, { key: other.keys.read });
  expect(theirs.body.alerts.some((a: Body) => a.rule_id === rule.id)).toBe(false);
}, 60_000);

it('changing group_by starts the rule over: the old groups go', async () => {
  clock += 120 * S;
  const rule = await createRule(tenant, {
    event_type: 'regroup',
    group_by: 'country',
    condition: { op: '>', threshold: 0 },
  });
  await events(tenant, 'regroup', 1, { country: 'DE', plan: 'pro' });
  await evaluate(tenant, rule.id);
  expect((await getRuleView(tenant, rule.id)).groups.map((g: Body) => g.key)).toEqual(['DE']);
  const put = await call(runtime.url, `/v1/alert-rules/${rule.id}`, {
    method: 'PUT',
    key: tenant.keys.admin,
    json: { name: 'r', window: '1m', event_type: 'regroup', group_by: 'plan', condition: { op: '>', threshold: 0 } },
  });
  expect(put.status).toBe(200);
  expect(put.body.groups).toEqual([]);
  expect(put.body.status.state).toBe('ok');
  await evaluate(tenant, rule.id);
  expect((await getRuleView(tenant, rule.id)).groups.map((g: Body) => [g.group, g.state])).toEqual([
    [{ plan: 'pro' }, 'firing'],
  ]);
}, 60_000);

it('crash-safe: a failure inside the evaluation writes nothing; concurrent evaluations make each group’s transition once', async () => {
  clock += 120 * S;
  const rule = await createRule(tenant, {
    event_type: 'atomic',
    group_by: 'country',
    condition: { op: '>', threshold: 0 },
    channels: [{ type: 'webhook', url: hooks.url }],
  });
  await events(tenant, 'atomic', 1, { country: 'DE' });
  await events(tenant, 'atomic', 2, { country: 'FR' });
  const stored = (await getRule(env.adapters.sql, tenant.id, rule.id))!.rule;
  // The process dies after the first group's outbox rows were written, before the commit.
  const failing: Adapters = {
    ...deps,
    alertStore: {
      ...deps.alertStore,
      transaction: (work) =>
        deps.alertStore.transaction((tx) =>
          work({
            ...tx,
            insertNotifications: async (rows) => {
              await tx.insertNotifications(rows);
              throw new Error('died before the commit');
            },
          }),
        ),
    },
  };
  await expect(evaluateRule(failing, stored, clock)).rejects.toThrow('died before the commit');
  expect((await getRuleView(tenant, rule.id)).groups).toEqual([]);
  const outbox = () =>
    env.adapters.sql<{ n: number }[]>`select count(*)::int as n from notifications where rule_id = ${rule.id}`;
  expect((await outbox())[0]!.n).toBe(0);
  expect((await call(runtime.url, `/v1/alerts?rule_id=${rule.id}`, { key: tenant.keys.read })).body.alerts).toEqual([]);

  // Two engines evaluate the rule at once: the rule's lock serializes them, each group fires once.
  const created = await Promise.all([evaluateRule(deps, stored, clock), evaluateRule(deps, stored, clock)]);
  expect(created.flat()).toHaveLength(2);
  expect((await outbox())[0]!.n).toBe(2);
  const history = await call(runtime.url, `/v1/alerts?rule_id=${rule.id}`, { key: tenant.keys.read });
  expect(history.body.alerts.map((a: Body) => [a.group.country, a.to]).sort()).toEqual([
    ['DE', 'firing'],
    ['FR', 'firing'],
  ]);
}, 60_000);
