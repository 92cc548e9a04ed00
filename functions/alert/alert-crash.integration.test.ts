// The alert and dispatch roles as a real process (`npm start -- --only alert,dispatch`), killed with SIGKILL while
// the alert handler is in the middle of its batch — its first delivery attempt hangs on the receiver, so neither
// the notice's offset nor the delivery is settled. A new process takes over: the notice comes again, makes no second
// transition and no second notification; the one notification is delivered once its lease ran out, with the same
// delivery id as the attempt that died.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { childEnv, ROOT } from '../../test/child-process';
import { useTestEnv, eventually } from '../../test/harness';
import { mskBatch, rawEvent } from '../../test/builders';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver';
import { createAggregateHandler } from '../aggregate/handler';
import { insertRule } from '../../adapters/postgres/alert-rules-store';
import { listHistory } from '../../adapters/postgres/alert-store';

const ROLE_ENV = { WEBHOOK_TIMEOUT: '2s', ALERT_TICK: '500ms', DISPATCH_TICK: '250ms', MAIL_SINK_PORT: '0' };
let hooks: WebhookReceiver;
const children: ChildProcess[] = [];

beforeAll(async () => {
  hooks = await startWebhookReceiver();
});
const { env, tenant } = useTestEnv('alertcrash', {
  overrides: ROLE_ENV,
  tenants: 1,
  beforeCleanup: async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  },
});
afterAll(async () => {
  await hooks?.stop();
});

function startRoles(): ChildProcess {
  // node with tsx as a loader (not the tsx CLI, whose SIGKILL would leave the real process running).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/start.ts'), '--only', 'alert,dispatch'],
    {
      cwd: ROOT,
      env: childEnv(env.config, ROLE_ENV),
      stdio: 'ignore',
    },
  );
  children.push(child);
  return child;
}

it('loses no notification and sends duplicates only as retries with the same delivery id when killed mid-batch and mid-send', async () => {
  // Prepare: a rule, and a receiver that never answers the first attempt.
  const ruleId = randomUUID();
  await insertRule(env.adapters.sql, tenant.id, ruleId, null, {
    name: 'crash',
    event_type: 'crash_alert',
    metric: 'count',
    condition: { op: '>', threshold: 2 },
    window: '5m',
    for: '0s',
    cooldown: '0s',
    enabled: true,
    channels: [{ type: 'webhook', url: hooks.url, secret: 'whsec_crash_test_secret' }],
  });
  hooks.mode = 'hang';
  const first = startRoles();

  // Act: three events through the aggregate path; its notice wakes the rule in the child, which fires and hangs.
  const events = [0, 1, 2].map(() => rawEvent(tenant, { eventType: 'crash_alert' }));
  await createAggregateHandler(env.adapters)(mskBatch(env.config.kafka.topics.eventsRaw, events));
  await eventually(async () => (hooks.received.length > 0 ? true : undefined), 60_000, 20);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  // The claims of a notification (its attempts column) only the outbox table shows: the dead attempt was never recorded.
  const [atKill] = await env.adapters.sql<
    { status: string; attempts: number }[]
  >`select status, attempts from notifications where rule_id = ${ruleId}`;
  hooks.mode = 'ok';
  startRoles();

  // Assess: delivered by the second process, after the lease of the dead attempt.
  const history = () => listHistory(env.adapters.sql, tenant.id, { ruleId, limit: 100 });
  await eventually(
    async () => {
      const [n] = (await history()).flatMap((h) => h.deliveries);
      return n?.status === 'delivered' ? true : undefined;
    },
    60_000,
    100,
  );
  expect(atKill).toEqual({ status: 'pending', attempts: 1 }); // it really died mid-send
  const transitions = await history();
  expect(transitions.flatMap((h) => h.deliveries)).toHaveLength(1);
  expect(transitions.map((t) => t.to)).toEqual(['firing']);
  const deliveries = new Set(hooks.received.map((h) => h.headers['x-customersignal-delivery']));
  expect(deliveries.size).toBe(1);
  expect(hooks.received.length).toBeGreaterThanOrEqual(2);
  expect(hooks.received.every((h) => h.body === hooks.received[0]!.body)).toBe(true);
}, 120_000);
