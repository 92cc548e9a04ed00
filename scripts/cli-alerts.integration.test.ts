import { randomUUID } from 'node:crypto';
import { runCli } from '../test/child-process';
import { useTestEnv } from '../test/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../test/webhook-receiver';
import { startSmtpSink, type SmtpSink } from '../local/smtp-sink';
import { insertRule } from '../adapters/postgres/alert-rules-store';
import { verifySignature } from '../core/webhook';

let hooks: WebhookReceiver;
let smtp: SmtpSink;
const ruleId = randomUUID();

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  smtp = await startSmtpSink({ port: 0, dir: null });
});
const { env, tenant } = useTestEnv('clialerts', { topics: false, tenants: 1 });
beforeAll(async () => {
  await insertRule(env.adapters.sql, tenant.id, ruleId, null, {
    name: 'Checkout failures',
    event_type: 'checkout_failed',
    metric: 'count',
    condition: { op: '>', threshold: 10 },
    window: '5m',
    for: '0s',
    cooldown: '15m',
    enabled: true,
    channels: [
      { type: 'webhook', url: hooks.url, secret: 'whsec_cli_test_secret_1' },
      { type: 'email', to: ['ops@example.com'] },
    ],
  });
});
afterAll(async () => {
  await hooks?.stop();
  await smtp?.stop();
});

const cli = (...args: string[]) => runCli(env.config, args, { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });

it('lists the rules with their state and sends a signed test notification to each channel', async () => {
  const listed = await cli('--json', 'alerts', 'list', '--tenant', tenant.slug);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual([
    expect.objectContaining({
      id: ruleId,
      name: 'Checkout failures',
      state: 'ok',
      condition: '> 10',
      window: '5m',
      channels: [`webhook ${hooks.url}`, 'email ops@example.com'],
    }),
  ]);
  const text = await cli('alerts', 'list', '--tenant', tenant.slug);
  expect(text.stdout).toContain(`${ruleId}  Checkout failures  ok  count(checkout_failed) > 10 in 5m`);

  const hook = await cli('--json', 'alerts', 'test-channel', '--tenant', tenant.slug, '--rule', ruleId);
  expect(hook.code).toBe(0);
  const out = JSON.parse(hook.stdout);
  expect(out).toMatchObject({ delivered: true, channel: 'webhook', status_code: 200 });
  expect(hooks.received).toHaveLength(1);
  expect(hooks.received[0]!.json).toMatchObject({ id: out.delivery_id, rule_id: ruleId, state: 'test' });
  expect(
    verifySignature(
      'whsec_cli_test_secret_1',
      hooks.received[0]!.body,
      String(hooks.received[0]!.headers['x-customersignal-signature']),
      Date.now(),
    ),
  ).toBe(true);

  const mail = await cli('alerts', 'test-channel', '--tenant', tenant.slug, '--rule', ruleId, '--channel', '2');
  expect(mail.code).toBe(0);
  expect(mail.stdout).toMatch(/^sent a test notification to email ops@example.com, delivery id /);
  expect(smtp.received.map((m) => m.to)).toEqual([['ops@example.com']]);
}, 60_000);

it('says clearly what is wrong', async () => {
  expect(
    (await cli('alerts', 'test-channel', '--tenant', tenant.slug, '--rule', ruleId, '--channel', '3')).stderr.trim(),
  ).toBe('error: --channel must be 1 to 2 (the rule has 2 channels)');
  expect((await cli('alerts', 'test-channel', '--tenant', tenant.slug, '--rule', randomUUID())).stderr).toMatch(
    /^error: no alert rule \S+ in tenant/,
  );
  hooks.mode = 'fail';
  const failed = await cli('alerts', 'test-channel', '--tenant', tenant.slug, '--rule', ruleId);
  expect(failed.code).toBe(1);
  expect(failed.stderr.trim()).toBe(`error: the test notification to webhook ${hooks.url} failed: HTTP 500`);
}, 60_000);
