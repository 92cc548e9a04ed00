// No API key, webhook secret or event property value in any log line. Realistic flows (ingest, bad requests,
// Segment, a poison record, an alert rule firing to a webhook that first fails, admin CLI commands) run at
// LOG_LEVEL DEBUG with distinctive marker values; every line written to stdout/stderr (the Powertools logger's
// output) and every log line of the CLI child processes is captured and searched for the markers.
import './debug-logs'; // first: the logger is created at DEBUG
import { useTestEnv, eventually } from '../harness';
import { call } from '../builders';
import { startWebhookReceiver, type WebhookReceiver } from '../webhook-receiver';
import { runCli } from '../child-process';
import { captureOutput } from '../capture-output';
import { logger, powertoolsLogger } from '../../adapters/logger';

const PROP = 'PROP-XYZ-123';
const SECRET = 'whsec_MARKER_5ecr3t_789';
const UNKNOWN_KEY = 'cs_MARKERKEY' + 'Q'.repeat(32);

let receiver: WebhookReceiver;
let writeKey: string;
const lines: string[] = [];
let stopCapture: (() => void) | undefined;

beforeAll(() => {
  stopCapture = captureOutput((line) => lines.push(line));
  expect(logger.getLevelName()).toBe('DEBUG');
});
const { env, runtime, tenant } = useTestEnv('secretlogs', {
  overrides: { ALERT_TICK: '200ms', DISPATCH_TICK: '200ms', ALERT_ALLOWED_LATENESS: '1s', LOG_LEVEL: 'DEBUG' },
  tenants: 1,
  runtime: { scheduler: true, consumers: true, alerts: true, dispatch: true },
  beforeCleanup: async () => {
    await receiver?.stop();
  },
});
beforeAll(async () => {
  writeKey = await env.createKey(tenant, ['ingest'], tenant.project.id);
  receiver = await startWebhookReceiver();
});
afterAll(() => {
  stopCapture?.();
});

function markers(extra: string[] = []): string[] {
  return [PROP, SECRET, UNKNOWN_KEY, writeKey, ...Object.values(tenant.keys), ...extra];
}

/** Log lines (JSON objects with a level) that contain a marker. */
function leaking(all: string[], ms: string[]): string[] {
  return all.filter((l) => ms.some((m) => l.includes(m)));
}

it('logs no key, secret or property value through ingest, Segment, poison records, alerts and webhooks', async () => {
  const url = runtime.url;
  const props = { secret_marker: PROP, nested: { deeper: PROP }, list: [PROP] };
  // Ingest: accepted, partly rejected, refused.
  expect(
    (
      await call(url, '/v1/events', {
        key: tenant.keys.ingest,
        json: { event_type: 'order', project: 'web', user_id: 'u1', properties: props },
      })
    ).status,
  ).toBe(202);
  expect(
    (
      await call(url, '/v1/events', {
        key: tenant.keys.ingest,
        json: {
          events: [
            { event_type: 'order', project: 'web', properties: props },
            { event_type: 'order', project: 'nope', properties: props },
          ],
        },
      })
    ).status,
  ).toBe(202);
  expect(
    (
      await call(url, '/v1/events', {
        key: tenant.keys.ingest,
        body: `{"event_type":"order","properties":{"secret_marker":"${PROP}"`,
        headers: { 'Content-Type': 'application/json' },
      })
    ).status,
  ).toBe(400);
  expect(
    (
      await call(url, '/v1/events', {
        key: tenant.keys.ingest,
        json: { event_type: 'order', project: 'web', properties: { a: { b: { c: { d: { e: { f: PROP } } } } } } },
      })
    ).status,
  ).toBe(400);
  expect(
    (
      await call(url, '/v1/events', {
        key: UNKNOWN_KEY,
        json: { event_type: 'order', project: 'web', properties: props },
      })
    ).status,
  ).toBe(401);
  expect(
    (
      await call(url, '/v1/events', {
        key: tenant.keys.read,
        json: { event_type: 'order', project: 'web', properties: props },
      })
    ).status,
  ).toBe(403);
  expect(
    (
      await call(url, '/v1/events', {
        headers: { Authorization: `Bearer ${tenant.keys.ingest}`, 'X-Api-Key': tenant.keys.admin },
        json: { event_type: 'order', project: 'web' },
      })
    ).status,
  ).toBe(400);
  // Segment: the write key in Basic auth and in the body.
  const basic = { Authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` };
  expect(
    (
      await call(url, '/v1/track', {
        headers: basic,
        json: { userId: 'u1', event: 'Order Completed', properties: props },
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await call(url, '/v1/batch', {
        json: {
          writeKey,
          batch: [
            { type: 'track', userId: 'u1', event: 'x', properties: props },
            { type: 'nope', properties: props },
          ],
        },
      })
    ).status,
  ).toBe(200);
  // Reads whose parameters carry the marker.
  expect((await call(url, `/v1/events?prop.secret_marker=${PROP}`, { key: tenant.keys.read })).status).toBe(200);
  // A poison record on events_raw holding the marker (undecodable JSON), then a valid event behind it.
  const producer = env.adapters.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: env.config.kafka.topics.eventsRaw,
    messages: [
      { key: tenant.id, value: `{"v":1,"properties":{"secret_marker":"${PROP}"` },
      { key: tenant.id, value: JSON.stringify({ v: 99, properties: props }) },
    ],
  });
  await producer.disconnect();
  // An alert rule with a webhook secret, firing to a receiver that fails first, then accepts.
  receiver.mode = 'fail';
  const rule = await call(url, '/v1/alert-rules', {
    key: tenant.keys.admin,
    json: {
      name: 'Orders',
      project: 'web',
      event_type: 'order',
      metric: 'count',
      condition: { op: '>', threshold: 0 },
      window: '5m',
      for: '0s',
      channels: [{ type: 'webhook', url: receiver.url, secret: SECRET }],
    },
  });
  expect(rule.status).toBe(201);
  expect(JSON.stringify(rule.body)).not.toContain(SECRET);
  expect(
    (
      await call(url, '/v1/events', {
        key: tenant.keys.ingest,
        json: { event_type: 'order', project: 'web', properties: props },
      })
    ).status,
  ).toBe(202);
  await eventually(async () => (receiver.received.length >= 1 ? true : undefined), 60_000, 200);
  receiver.mode = 'ok';
  await eventually(
    async () => {
      const alerts = await call(url, '/v1/alerts', { key: tenant.keys.read });
      return JSON.stringify(alerts.body).includes('"succeeded"') || receiver.received.length >= 2 ? true : undefined;
    },
    60_000,
    300,
  ).catch(() => undefined);
  await eventually(
    async () =>
      (await call(url, '/v1/events?event_type=order', { key: tenant.keys.read })).body.events?.length >= 3
        ? true
        : undefined,
    30_000,
    200,
  );

  const logLines = lines.filter((l) => l.startsWith('{') && l.includes('"level"'));
  process.stdout.write(
    `secrets-in-logs: ${logLines.length} log lines captured (${logLines.filter((l) => l.includes('"DEBUG"')).length} DEBUG, ${logLines.filter((l) => l.includes('"WARN"')).length} WARN), webhook attempts ${receiver.received.length}\n`,
  );
  // The capture works and the flows did log: the poison records, the failed delivery.
  expect(logLines.some((l) => l.includes('dead-lettering records'))).toBe(true);
  expect(logLines.some((l) => l.includes('notification delivery failed'))).toBe(true);
  expect(receiver.received.length).toBeGreaterThanOrEqual(1);
  expect(leaking(lines, markers())).toEqual([]);
}, 180_000);

it('logs no request (headers with keys, bodies with properties) even when POWERTOOLS_LOGGER_LOG_EVENT=true', async () => {
  const before = lines.length;
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  (powertoolsLogger as unknown as { setLogEvent(): void }).setLogEvent();
  try {
    expect(
      (
        await call(runtime.url, '/v1/events', {
          key: tenant.keys.ingest,
          json: { event_type: 'order', project: 'web', properties: { secret_marker: PROP } },
        })
      ).status,
    ).toBe(202);
    expect((await call(runtime.url, '/v1/alert-rules', { key: tenant.keys.admin })).status).toBe(200);
    expect(
      (
        await call(runtime.url, '/v1/alert-rules', {
          key: tenant.keys.admin,
          json: {
            name: 'x',
            event_type: 'order',
            metric: 'count',
            condition: { op: '>', threshold: 0 },
            window: '5m',
            channels: [{ type: 'webhook', url: receiver.url, secret: SECRET }],
          },
        })
      ).status,
    ).toBe(201);
  } finally {
    delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    (powertoolsLogger as unknown as { setLogEvent(): void }).setLogEvent();
  }
  expect(leaking(lines.slice(before), markers())).toEqual([]);
  expect(lines.slice(before).filter((l) => l.includes('Lambda invocation event'))).toEqual([]);
});

it('the admin CLI logs no key: key create prints it once (its output), key list and every log line never', async () => {
  const created = await runCli(
    env.config,
    ['key', 'create', '--tenant', tenant.slug, '--scope', 'read,admin', '--json'],
    { LOG_LEVEL: 'DEBUG' },
  );
  expect(created.code).toBe(0);
  const key = JSON.parse(
    created.stdout
      .trim()
      .split('\n')
      .filter((l) => l.includes('"key"'))
      .pop()!,
  ).key as string;
  const list = await runCli(env.config, ['key', 'list', '--tenant', tenant.slug, '--json'], { LOG_LEVEL: 'DEBUG' });
  const plain = await runCli(env.config, ['key', 'list', '--tenant', tenant.slug], { LOG_LEVEL: 'DEBUG' });
  const tenants = await runCli(env.config, ['tenant', 'list'], { LOG_LEVEL: 'DEBUG' });
  expect(list.code).toBe(0);
  const all = markers([key]);
  // key create's designed output holds the new key once; its log lines (JSON with a level) hold nothing.
  const createdLogs = `${created.stdout}\n${created.stderr}`.split('\n').filter((l) => l.includes('"level"'));
  expect(leaking(createdLogs, all)).toEqual([]);
  for (const r of [list, plain, tenants]) expect(leaking(`${r.stdout}\n${r.stderr}`.split('\n'), all)).toEqual([]);
});
