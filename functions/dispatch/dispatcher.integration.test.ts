// The dispatcher against a real HTTP receiver and a real SMTP server: retries with backoff on non-2xx and on a dead
// mail server, the same delivery id on every attempt, each attempt recorded, giving up after the last attempt, and
// the deployed target policy refusing loopback addresses. The clock is injected.
import { useTestEnv } from '../../test/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver';
import { startSmtpSink } from '../../local/smtp-sink';
import { freePort } from '../../scripts/kafka/broker';
import { evaluateRule } from '../../core/alert-evaluation';
import { createNotifiers } from '../../adapters/notifiers';
import { insertRule } from '../../adapters/postgres/alert-rules-store';
import { dispatch } from '../../adapters/dispatcher';
import { listHistory } from '../../adapters/postgres/alert-store';
import { mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from '../aggregate/handler';
import type { StoredRuleSpec, Channel } from '../../core/alert-rule';
import type { Adapters } from '../../adapters';
import { randomUUID } from 'node:crypto';

let hooks: WebhookReceiver;
let clock = Date.now();
let deps: Adapters;
let smtpPort: number;

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  smtpPort = await freePort(); // nothing listens there until the test starts a server
});
const { env, tenant } = useTestEnv('dispatch', {
  overrides: () => ({ DISPATCH_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT: '2s', SMTP_URL: `smtp://127.0.0.1:${smtpPort}` }),
  tenants: 1,
});
beforeAll(() => {
  deps = { ...env.adapters, now: () => clock };
});
afterAll(async () => {
  await hooks?.stop();
});

/** A rule that fires on one event of `eventType`, fired now: returns its notification ids. */
async function fire(eventType: string, channels: Channel[]): Promise<string[]> {
  const spec: StoredRuleSpec = {
    name: eventType,
    event_type: eventType,
    metric: 'count',
    condition: { op: '>', threshold: 0 },
    window: '1m',
    for: '0s',
    cooldown: '0s',
    enabled: true,
    channels,
  };
  const stored = await insertRule(env.adapters.sql, tenant.id, randomUUID(), null, spec);
  await createAggregateHandler(deps)(
    mskBatch(env.config.kafka.topics.eventsRaw, [rawEvent(tenant, { eventType, timestampMs: clock })]),
  );
  return evaluateRule(deps, stored.rule, clock);
}

async function notification(id: string) {
  const [n] = await env.adapters.sql<
    { status: string; attempts: number; next: Date }[]
  >`select status, attempts, next_attempt_at as next from notifications where id = ${id}`;
  const attempts = await env.adapters.sql<
    { attempt: number; outcome: string; status_code: number | null; error: string | null }[]
  >`
    select attempt, outcome, status_code, error from delivery_attempts where notification_id = ${id} order by attempt`;
  return { ...n!, attempts };
}

it('retries a failing webhook with backoff, the same delivery id each time, and records every attempt', async () => {
  const notifiers = createNotifiers(env.config);
  const run = () => dispatch({ ...deps, ...notifiers, random: () => 0.5 });
  const [id] = await fire('retry_me', [{ type: 'webhook', url: hooks.url, secret: 'whsec_0123456789abcdef' }]);
  hooks.mode = 'fail';
  expect(await run()).toEqual({ attempted: 1, delivered: 0, failed: 1 });
  let n = await notification(id!);
  expect(n).toMatchObject({
    status: 'pending',
    attempts: [{ attempt: 1, outcome: 'failed', status_code: 500, error: 'HTTP 500' }],
  });
  expect(n.next.getTime()).toBe(clock + 2_000); // 2 s after the first failure (jitter fixed at its middle)
  expect(await run()).toEqual({ attempted: 0, delivered: 0, failed: 0 }); // not due yet
  clock += 2_000;
  expect(await run()).toMatchObject({ attempted: 1, failed: 1 });
  expect((await notification(id!)).next.getTime()).toBe(clock + 4_000); // doubled
  hooks.mode = 'ok';
  clock += 4_000;
  expect(await run()).toMatchObject({ attempted: 1, delivered: 1 });
  n = await notification(id!);
  expect(n.status).toBe('delivered');
  expect(n.attempts.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
    [1, 'failed', 500],
    [2, 'failed', 500],
    [3, 'delivered', 200],
  ]);
  const mine = hooks.received.filter((h) => h.json.rule_name === 'retry_me');
  expect(mine).toHaveLength(3);
  expect(new Set(mine.map((h) => h.headers['x-customersignal-delivery']))).toEqual(new Set([id]));
  expect(new Set(mine.map((h) => h.body)).size).toBe(1); // the very same body every time
});

it('gives up after the last attempt; e-mail is retried while the SMTP server is down and sent once it is up', async () => {
  const notifiers = createNotifiers(env.config);
  const run = () => dispatch({ ...deps, ...notifiers, random: () => 0.5 });
  hooks.mode = 'fail';
  const [hookId] = await fire('give_up', [{ type: 'webhook', url: hooks.url, secret: 'whsec_0123456789abcdef' }]);
  const [mailId] = await fire('mail_later', [{ type: 'email', to: ['ops@example.com'] }]);
  for (let i = 0; i < 3; i++) {
    await run();
    clock += 60_000;
  }
  expect(await notification(hookId!)).toMatchObject({
    status: 'failed',
    attempts: [{ outcome: 'failed' }, { outcome: 'failed' }, { outcome: 'failed' }],
  });
  const mail = await notification(mailId!);
  expect(mail.status).toBe('failed'); // three attempts without an SMTP server
  expect(mail.attempts[0]!.error).toMatch(/ECONNREFUSED|connect/i);

  const smtp = await startSmtpSink({ port: smtpPort, dir: null });
  try {
    const [again] = await fire('mail_now', [{ type: 'email', to: ['ops@example.com', 'oncall@example.com'] }]);
    expect(await run()).toMatchObject({ delivered: 1 });
    expect(await notification(again!)).toMatchObject({ status: 'delivered' });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(smtp.received[0]!.raw).toContain(`Message-ID: <${again}@customersignal>`);
    expect(smtp.received[0]!.raw).toContain('Content-Type: text/html');
  } finally {
    await smtp.stop();
    hooks.mode = 'ok';
  }
}, 30_000);

it('a deployed stack refuses loopback targets unless allow-listed: one attempt, failed, the reason on the delivery', async () => {
  const refusing = createNotifiers({ ...env.config, webhooks: { ...env.config.webhooks, allowLoopback: false } });
  const before = hooks.received.length;
  const [id] = await fire('refused', [{ type: 'webhook', url: hooks.url, secret: 'whsec_0123456789abcdef' }]);
  expect(await dispatch({ ...deps, ...refusing, random: () => 0.5 })).toMatchObject({ attempted: 1, failed: 1 });
  const n = await notification(id!);
  expect(n.status).toBe('failed'); // no retry can change the answer
  expect(n.attempts).toHaveLength(1);
  expect(n.attempts[0]!.error).toMatch(/^refused target: 127\.0\.0\.1 resolves to a loopback address/);
  clock += 3_600_000;
  expect(await dispatch({ ...deps, ...refusing, random: () => 0.5 }, { ids: [id!] })).toMatchObject({ attempted: 0 });
  expect(hooks.received.length).toBe(before);

  const allowed = createNotifiers({
    ...env.config,
    webhooks: { ...env.config.webhooks, allowLoopback: false, allowedHosts: ['127.0.0.1'] },
  });
  const [ok] = await fire('allow_listed', [{ type: 'webhook', url: hooks.url, secret: 'whsec_0123456789abcdef' }]);
  expect(await dispatch({ ...deps, ...allowed }, { ids: [ok!] })).toMatchObject({ delivered: 1 });
  const viaName = createNotifiers({ ...env.config, webhooks: { ...env.config.webhooks, allowLoopback: false } });
  const [byName] = await fire('refused_by_name', [
    { type: 'webhook', url: hooks.url.replace('127.0.0.1', 'localhost'), secret: 'whsec_0123456789abcdef' },
  ]);
  await dispatch({ ...deps, ...viaName }, { ids: [byName!] });
  expect(await notification(byName!)).toMatchObject({
    status: 'failed',
    attempts: [{ attempt: 1, outcome: 'failed' }],
  });
  expect((await notification(byName!)).attempts[0]!.error).toMatch(
    /refused target: localhost resolves to a loopback address/,
  );
});

it('private, metadata and invalid targets fail after one attempt, with the reason in GET /v1/alerts deliveries', async () => {
  // The default retry budget (12 attempts) would otherwise retry each of these for hours.
  const notifiers = createNotifiers({ ...env.config, alerts: { ...env.config.alerts, dispatchMaxAttempts: 12 } });
  const cfg = { ...env.config, alerts: { ...env.config.alerts, dispatchMaxAttempts: 12 } };
  const targets: [string, RegExp][] = [
    [
      'http://169.254.169.254/latest/meta-data/',
      /^refused target: 169\.254\.169\.254 resolves to a private, link-local or metadata address/,
    ],
    ['http://10.1.2.3/hook', /^refused target: 10\.1\.2\.3 resolves to a private, link-local or metadata address/],
    [
      'https://[fd00:ec2::254]/',
      /^refused target: fd00:ec2::254 resolves to a private, link-local or metadata address/,
    ],
    ['not a url', /^invalid target: url must be an absolute http\(s\) URL/],
    ['ftp://example.com/hook', /^invalid target: url must use https/],
  ];
  const ruleName = `permanent_${randomUUID().slice(0, 8)}`;
  const ids = await fire(
    ruleName,
    targets.map(([url]) => ({ type: 'webhook', url, secret: 'whsec_0123456789abcdef' })),
  );
  expect(ids).toHaveLength(targets.length);
  const run = () => dispatch({ ...deps, config: cfg, ...notifiers, random: () => 0.5 }, { ids });
  expect(await run()).toEqual({ attempted: targets.length, delivered: 0, failed: targets.length });
  for (let i = 0; i < 3; i++) {
    clock += 3_600_000; // far beyond any backoff
    expect(await run()).toEqual({ attempted: 0, delivered: 0, failed: 0 });
  }
  const [entry] = (await listHistory(env.adapters.sql, tenant.id, { limit: 200 })).filter(
    (h) => h.rule_name === ruleName,
  );
  expect(entry!.deliveries).toHaveLength(targets.length);
  for (const [url, reason] of targets) {
    const d = entry!.deliveries.find((x) => x.target === url)!;
    expect(d).toMatchObject({ status: 'failed', attempts: [{ attempt: 1, outcome: 'failed', status_code: null }] });
    expect(d.attempts).toHaveLength(1);
    expect(d.error).toMatch(reason);
    expect(d.attempts[0]!.error).toMatch(reason);
  }
});
