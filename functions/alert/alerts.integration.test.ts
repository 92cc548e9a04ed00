// The alert engine end to end as a user meets it: a rule created over the API, events sent to POST /v1/events, the
// real pipeline (Kafka → aggregate → metric_updates → alert consumer → outbox → delivery) to a real HTTP receiver
// and a real SMTP server. The engine's clock is injected, so windows and lateness pass in moments.
import { useTestEnv, eventually, type TestTenant } from '../../test/harness';
import { call, mskBatch, rawEvent } from '../../test/builders';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver';
import { startSmtpSink, type SmtpSink } from '../../local/smtp-sink';
import { createAggregateHandler } from '../aggregate/handler';
import { verifySignature } from '../../core/webhook';
import { currentStates } from '../../adapters/postgres/alert-store';
import { rollupTotal } from '../../test/reads';

const MIN = 60_000;
let hooks: WebhookReceiver;
let smtp: SmtpSink;
/** The engine's clock: real time plus a shift the test moves forward. */
let shift = 0;
const now = () => Date.now() + shift;

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  smtp = await startSmtpSink({ port: 0, dir: null });
});
const {
  env,
  runtime,
  tenants: [tenant, other],
} = useTestEnv('alerts', {
  overrides: () => ({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    ALERT_TICK: '200ms',
    DISPATCH_TICK: '200ms',
    ALERT_ALLOWED_LATENESS: '30s',
  }),
  tenants: 2,
  runtime: { consumers: true, alerts: true, dispatch: true },
  adapters: (env) => ({ ...env.adapters, now }),
});
afterAll(async () => {
  await hooks?.stop();
  await smtp?.stop();
});

async function send(t: TestTenant, eventType: string, n: number, extra: Record<string, unknown> = {}) {
  const events = Array.from({ length: n }, () => ({
    event_type: eventType,
    project: 'web',
    timestamp: new Date(now()).toISOString(),
    user_id: 'u1',
    ...extra,
  }));
  const res = await call(runtime.url, '/v1/events', { key: t.keys.ingest, json: { events } });
  expect(res.status).toBe(202);
}

async function counted(t: TestTenant, eventType: string): Promise<number> {
  return rollupTotal(env.adapters.sql, t.id, { eventType });
}

/** Waits until the rule was evaluated with the given value (the alert consumer saw the data). */
async function evaluatedAt(ruleId: string, value: number) {
  await eventually(
    async () => {
      const s = (await currentStates(env.adapters.sql, tenant.id)).get(ruleId);
      return s?.value === value ? true : undefined;
    },
    20_000,
    50,
  );
}

const firing = (r: WebhookReceiver, ruleId: string, state: string) =>
  r.received.filter((h) => h.json.rule_id === ruleId && h.json.state === state);

it('11 checkout_failed in 5 minutes fire the example rule once, signed, by webhook and e-mail; the 12th does not notify; it resolves after the window empties', async () => {
  // Prepare: the rule of docs/api.md#alert-rules-and-alerts, with a generated webhook secret shown once.
  const created = await call(runtime.url, '/v1/alert-rules', {
    key: tenant.keys.admin,
    json: {
      name: 'Checkout failures',
      project: 'web',
      event_type: 'checkout_failed',
      metric: 'count',
      condition: { op: '>', threshold: 10 },
      window: '5m',
      for: '0s',
      cooldown: '15m',
      enabled: true,
      channels: [
        { type: 'webhook', url: hooks.url },
        { type: 'email', to: ['ops@example.com'] },
      ],
    },
  });
  expect(created.status).toBe(201);
  const rule = created.body;
  const secret: string = rule.channels[0].secret;
  expect(secret).toMatch(/^whsec_/);
  expect((await call(runtime.url, `/v1/alert-rules/${rule.id}`, { key: tenant.keys.read })).body.channels[0]).toEqual({
    type: 'webhook',
    url: hooks.url,
    has_secret: true,
  });

  // 10 events: at the threshold, not above it.
  await send(tenant, 'checkout_failed', 10);
  await evaluatedAt(rule.id, 10);
  expect(firing(hooks, rule.id, 'firing')).toHaveLength(0);

  // The 11th fires the rule: one signed webhook and one e-mail.
  await send(tenant, 'checkout_failed', 1);
  const [hook] = await eventually(async () =>
    firing(hooks, rule.id, 'firing').length > 0 ? firing(hooks, rule.id, 'firing') : undefined,
  );
  expect(verifySignature(secret, hook!.body, String(hook!.headers['x-customersignal-signature']), Date.now())).toBe(
    true,
  );
  expect(
    verifySignature(
      'whsec_somebody_else_entirely',
      hook!.body,
      String(hook!.headers['x-customersignal-signature']),
      Date.now(),
    ),
  ).toBe(false);
  expect(hook!.headers['x-customersignal-delivery']).toBe(hook!.json.id);
  expect(hook!.json).toMatchObject({
    rule_id: rule.id,
    rule_name: 'Checkout failures',
    state: 'firing',
    value: 11,
    threshold: 10,
    window: '5m',
    event_type: 'checkout_failed',
    project: 'web',
  });
  const mail = await eventually(async () => smtp.received.find((m) => m.raw.includes('[FIRING] Checkout failures')));
  expect(mail.to).toEqual(['ops@example.com']);
  expect(mail.raw).toContain('value 11, threshold 10, window 5m');

  // The 12th is counted but notifies nobody again.
  await send(tenant, 'checkout_failed', 1);
  await evaluatedAt(rule.id, 12);
  await new Promise((r) => setTimeout(r, 500));
  expect(firing(hooks, rule.id, 'firing')).toHaveLength(1);
  expect(smtp.received.filter((m) => m.raw.includes('[FIRING] Checkout failures'))).toHaveLength(1);

  // The window empties 5 minutes later; the resolve waits for the allowed lateness (30 s), then is sent.
  shift += 5 * MIN + 10_000;
  await evaluatedAt(rule.id, 0);
  await new Promise((r) => setTimeout(r, 500));
  expect(firing(hooks, rule.id, 'ok')).toHaveLength(0);
  shift += 31_000;
  const [resolved] = await eventually(async () =>
    firing(hooks, rule.id, 'ok').length > 0 ? firing(hooks, rule.id, 'ok') : undefined,
  );
  expect(resolved!.json).toMatchObject({ state: 'ok', value: 0 });
  await eventually(async () => smtp.received.find((m) => m.raw.includes('[RESOLVED] Checkout failures')));

  // History: both transitions with value, threshold and window, each delivery with its attempts.
  const history = await call(runtime.url, `/v1/alerts?rule_id=${rule.id}`, { key: tenant.keys.read });
  expect(history.status).toBe(200);
  expect(history.body.alerts.map((a: { from: string; to: string; value: number }) => [a.from, a.to, a.value])).toEqual([
    ['firing', 'ok', 0],
    ['ok', 'firing', 11],
  ]);
  const fired = history.body.alerts[1];
  expect(fired).toMatchObject({ threshold: 10, window_ms: 300_000, notification: 'firing' });
  expect(fired.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status]).sort()).toEqual([
    ['email', 'delivered'],
    ['webhook', 'delivered'],
  ]);
  expect(fired.deliveries.find((d: { channel: string }) => d.channel === 'webhook').id).toBe(hook!.json.id);
  expect(fired.deliveries[0].attempts[0]).toMatchObject({ attempt: 1, outcome: 'delivered' });
}, 90_000);

it('a batch redelivered to the aggregate path does not fire a rule the deduplicated data does not satisfy', async () => {
  const created = await call(runtime.url, '/v1/alert-rules', {
    key: tenant.keys.admin,
    json: {
      name: 'Dup',
      event_type: 'dup_check',
      condition: { op: '>=', threshold: 4 },
      window: '1m',
      channels: [{ type: 'webhook', url: hooks.url }],
    },
  });
  const batch = mskBatch(
    env.config.kafka.topics.eventsRaw,
    [0, 1, 2].map(() => rawEvent(tenant, { eventType: 'dup_check', timestampMs: now() })),
  );
  const aggregate = createAggregateHandler({ ...env.adapters, now });
  await aggregate(batch);
  await aggregate(batch); // every notice published twice, too
  await evaluatedAt(created.body.id, 3);
  await new Promise((r) => setTimeout(r, 500));
  expect(await counted(tenant, 'dup_check')).toBe(3);
  expect(hooks.received.filter((h) => h.json.rule_id === created.body.id)).toHaveLength(0);
  const state = (await currentStates(env.adapters.sql, tenant.id)).get(created.body.id);
  expect(state!.state).toBe('ok');
}, 60_000);

it("rules of one tenant never see another tenant's events, rules or alerts", async () => {
  const created = await call(runtime.url, '/v1/alert-rules', {
    key: other.keys.admin,
    json: {
      name: 'Isolated',
      project: 'web',
      event_type: 'shared_name',
      condition: { op: '>', threshold: 0 },
      window: '1m',
      channels: [{ type: 'webhook', url: hooks.url }],
    },
  });
  expect(created.status).toBe(201);
  // The first tenant sends the same event type; the other tenant's rule is not even woken.
  await send(tenant, 'shared_name', 5);
  await eventually(async () => ((await counted(tenant, 'shared_name')) === 5 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1_000));
  expect(hooks.received.filter((h) => h.json.rule_id === created.body.id)).toHaveLength(0);
  // Once the other tenant sends one, its rule fires with its own count.
  await send(other, 'shared_name', 1);
  const [hook] = await eventually(async () =>
    firing(hooks, created.body.id, 'firing').length > 0 ? firing(hooks, created.body.id, 'firing') : undefined,
  );
  expect(hook!.json.value).toBe(1);
  // Over the API, neither tenant reaches the other's rule or history.
  expect((await call(runtime.url, `/v1/alert-rules/${created.body.id}`, { key: tenant.keys.read })).status).toBe(404);
  expect(
    (
      await call(runtime.url, `/v1/alert-rules/${created.body.id}`, {
        method: 'PUT',
        key: tenant.keys.admin,
        json: { name: 'x', event_type: 'y', condition: { op: '>', threshold: 1 }, window: '1m' },
      })
    ).status,
  ).toBe(404);
  expect(
    (await call(runtime.url, `/v1/alert-rules/${created.body.id}`, { method: 'DELETE', key: tenant.keys.admin }))
      .status,
  ).toBe(404);
  expect((await call(runtime.url, `/v1/alerts?rule_id=${created.body.id}`, { key: tenant.keys.read })).status).toBe(
    404,
  );
  const mine = await call(runtime.url, '/v1/alerts?limit=200', { key: tenant.keys.read });
  expect(mine.body.alerts.some((a: { rule_id: string }) => a.rule_id === created.body.id)).toBe(false);
}, 60_000);
