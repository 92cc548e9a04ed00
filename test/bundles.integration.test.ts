// Proof that the Lambda bundles would run: synthesize the CDK app WITH bundling (esbuild, as `cdk deploy` does), take
// every function's asset from the synthesized cloud assembly, copy it into an empty folder with no node_modules
// anywhere above it, load it with a plain `node` (no jest, no tsx) and invoke its handler with the event shapes AWS
// sends (API Gateway HTTP API v2, MSK batch, EventBridge schedule, CloudFormation custom resource, the admin
// payload) against the local Kafka, Postgres and Redis. Each function gets the environment variables the template
// gives it, with the AWS-only values (endpoints, secret and cluster ARNs, IAM auth) replaced by their local
// equivalents: a URL that carries the user instead of a secret ARN, KAFKA_BROKERS instead of a cluster ARN.
// One synthesis per run.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CustomerSignalStack } from '../lib/customersignal-stack';
import type { Admin } from '../lib/admin';
import { MIGRATIONS_PATH } from '../lib/migrations';
import { useTestEnv } from './harness';
import { dropDatabase, ensureDatabase } from '../adapters/postgres/client';
import { toConsumedRecord, type ConsumedRecord } from '../adapters/kafka/consumer-group';
import { toMskEvent } from '../core/msk-event';
import { ADMIN_FUNCTION_OUTPUT } from '../adapters/aws/admin-output';
import { storedEventCount } from './reads';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';

type Fn = { name: string; handler: string; dir: string; env: Record<string, string> };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation properties as synthesised, read field by field
type TemplateResource = { Type: string; Properties: Record<string, any> };

let outdir: string;
let work: string;
const fns = new Map<string, Fn>();
const dropAfter: string[] = [];
const tenantIds: string[] = [];
// The bundled topics function creates the run's topics (cleanup removes them); the tenants the admin function
// makes and the database of the migrations run are this file's to remove.
const { env } = useTestEnv('bundles', {
  topics: 'remove',
  beforeCleanup: async (env) => {
    await env.deleteTenantKeys(tenantIds);
    for (const url of dropAfter) await dropDatabase(url).catch(() => undefined);
  },
});
let synthMs = 0;
/** Outputs of the stateless stack (`CustomerSignal`), where `customersignal --aws <stack>` looks. */
let outputs: Record<string, { Value: unknown }> = {};
let adminLogicalId = '';

/** Loads index.js of a copied bundle with plain node and calls one export with (event, context); writes the outcome. */
const RUNNER = `
const fs = require('fs');
const [dir, name, eventFile, resultFile] = process.argv.slice(1);
const done = (o) => { fs.writeFileSync(resultFile, JSON.stringify(o)); process.exit(0); };
process.chdir(dir);
let fn;
try { fn = require(dir + '/index.js')[name]; } catch (e) { done({ error: 'load: ' + (e && e.stack || e) }); }
if (typeof fn !== 'function') done({ error: 'index.js exports no function ' + name });
const context = {
  awsRequestId: 'bundle-test', functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT}:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: '512', logGroupName: '/aws/lambda/bundle-test', logStreamName: 'bundle-test',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000,
};
Promise.resolve().then(() => fn(JSON.parse(fs.readFileSync(eventFile, 'utf8')), context))
  .then((result) => done({ result: result === undefined ? null : result }), (e) => done({ error: String(e && e.stack || e) }));
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler answers its own shape; the tests read fields
async function invoke(name: string, event: unknown, extraEnv: Record<string, string> = {}): Promise<any> {
  const fn = fns.get(name)!;
  const dir = mkdtempSync(join(work, `${name}-`));
  const eventFile = join(dir, 'event.json');
  const resultFile = join(dir, 'result.json');
  writeFileSync(eventFile, JSON.stringify(event));
  let output: string;
  try {
    const r = await run(process.execPath, ['-e', RUNNER, fn.dir, fn.handler, eventFile, resultFile], {
      cwd: fn.dir,
      env: { ...fn.env, ...extraEnv },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    output = r.stdout + r.stderr;
  } catch (e) {
    throw new Error(`${name}: node exited: ${(e as Error).message}`, { cause: e });
  }
  const outcome = JSON.parse(readFileSync(resultFile, 'utf8')) as { result?: unknown; error?: string };
  if (outcome.error !== undefined)
    throw new Error(`${name} (${fn.handler}) failed: ${outcome.error}\n--- its output ---\n${output.slice(-4000)}`);
  return outcome.result;
}

// --- event shapes, as AWS sends them

function httpEvent(
  method: string,
  path: string,
  opts: { key?: string; json?: unknown; query?: string; routeKey?: string } = {},
) {
  const now = Date.now();
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const routeKey = opts.routeKey ?? `${method} ${path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: opts.query ?? '',
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'bundle-test',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      ...(opts.key && { authorization: `Bearer ${opts.key}` }),
      ...(body !== undefined && {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      }),
    },
    queryStringParameters: opts.query ? Object.fromEntries(new URLSearchParams(opts.query)) : undefined,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bundle-test' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

const scheduledEvent = () => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/bundle-test`],
  detail: {},
});

function customResourceEvent(
  requestType: 'Create' | 'Update',
  resourceType: string,
  properties: Record<string, string>,
) {
  return {
    RequestType: requestType,
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:provider-framework-onEvent`,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/bundle-test',
    StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/CustomerSignal/${randomUUID()}`,
    RequestId: randomUUID(),
    LogicalResourceId: 'Resource',
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'provider', ...properties },
    ...(requestType === 'Update' && {
      PhysicalResourceId: 'customersignal-migrations',
      OldResourceProperties: { ServiceToken: 'provider' },
    }),
  };
}

/** The MSK event Lambda's Kafka event source would hand over for everything in `topic` now (a throwaway group). */
async function mskBatchOf(topic: string): Promise<{ event: ReturnType<typeof toMskEvent>; count: number }> {
  const kafka = env.adapters.kafka;
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const records: ConsumedRecord[] = [];
  // Done when every partition's last record (offset high - 1) has arrived.
  const pending = () =>
    [...ends].some(
      ([partition, high]) =>
        high > 0 && !records.some((r) => r.partition === partition && Number(r.offset) >= high - 1),
    );
  if (pending()) {
    const groupId = `bundle-test-read-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => void records.push(...batch.messages.map((m) => toConsumedRecord(batch, m))),
      });
      const deadline = Date.now() + 30_000;
      while (pending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await consumer.disconnect();
      await admin
        .connect()
        .then(() => admin.deleteGroups([groupId]))
        .catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }
  return {
    event: toMskEvent(records, {
      eventSourceArn: `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/customersignal/${randomUUID()}`,
    }),
    count: records.length,
  };
}

// --- the synthesized functions

/** The environment a bundle gets: the template's variables, with AWS-only values replaced by local ones. */
function localEnvironment(name: string, variables: Record<string, unknown>): Record<string, string> {
  const cfg = env.config;
  const local: Record<string, string | null> = {
    // AWS-only: replaced by the local equivalent (null: the local URL carries what the secret would).
    DATABASE_URL: cfg.database.url,
    DATABASE_SECRET_ARN: null,
    // The migrations set the app role's password from this secret; locally the role keeps none (trust auth).
    DATABASE_APP_SECRET_ARN: null,
    // The Lambda runtime's CA file (with the RDS CAs); the local Postgres speaks no TLS.
    NODE_EXTRA_CA_CERTS: null,
    REDIS_URL: cfg.redis.url,
    REDIS_SECRET_ARN: null,
    KAFKA_MSK_CLUSTER_ARN: null,
    KAFKA_AUTH: 'none',
    // The dashboard's CloudFront origin (the query function's links and SSO redirect URI), and the SSO key's secret.
    APP_URL: 'https://dashboard.example.test',
    SSO_SECRET_KEY_ARN: null,
    // This run's own topics and groups (isolation from other test files), under the template's names.
    KAFKA_TOPIC_EVENTS_RAW: cfg.kafka.topics.eventsRaw,
    KAFKA_TOPIC_EVENTS_DLQ: cfg.kafka.topics.eventsDlq,
    KAFKA_TOPIC_METRIC_UPDATES: cfg.kafka.topics.metricUpdates,
    KAFKA_GROUP_AGGREGATE: cfg.kafka.groups.aggregate,
    KAFKA_GROUP_ALERT: cfg.kafka.groups.alert,
    KAFKA_EVENTS_RAW_PARTITIONS: String(cfg.kafka.eventsRawPartitions),
  };
  const out: Record<string, string> = {
    // What the Lambda runtime itself sets.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: `CustomerSignal-${name}`,
  };
  for (const [key, value] of Object.entries(variables)) {
    if (key in local) {
      if (local[key] !== null) out[key] = local[key]!;
    } else if (typeof value === 'string') {
      out[key] = value;
    } else {
      throw new Error(
        `${name}: ${key} is an AWS value (${JSON.stringify(value)}) with no local equivalent in this test; add one`,
      );
    }
  }
  // The local stand-in for KAFKA_MSK_CLUSTER_ARN (loadConfig would otherwise ask MSK for its brokers).
  if ('KAFKA_MSK_CLUSTER_ARN' in variables) out.KAFKA_BROKERS = cfg.kafka.brokers.join(',');
  return out;
}

function hasNodeModulesAbove(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules');
    if (dirname(d) === d) return undefined;
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cs-bundles-'));
  outdir = mkdtempSync(join(tmpdir(), 'cs-bundles-cdkout-'));

  const started = Date.now();
  const { context } = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8'));
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': ['**'] } });
  const stack = new CustomerSignalStack(app, 'CustomerSignal', {
    webDistDir: join(tmpdir(), 'customersignal-no-such-dist'),
  });
  const assembly = app.synth();
  synthMs = Date.now() - started;

  // Every stack of the stage (stateful and stateless) and every asset manifest of the assembly.
  const assets: Record<string, { source: { path: string; packaging: string } }> = {};
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.assets.json')))
    Object.assign(assets, JSON.parse(readFileSync(join(outdir, file), 'utf8')).files);
  const f = stack.functions;
  const ours: Record<string, IConstruct> = {
    ingest: f.ingest,
    query: f.query,
    aggregate: f.aggregate,
    maintenance: f.maintenance,
    alert: f.alert,
    alertTick: f.alertTick,
    dispatch: f.dispatch,
    topics: stack.topicsFunction,
    migrations: stack.migrations.function,
    admin: (stack.node.findChild('Admin') as Admin).function,
  };
  const idOf = new Map(
    Object.entries(ours).map(([name, c]) => {
      const owner = Stack.of(c);
      return [`${owner.artifactId}/${owner.getLogicalId(c.node.defaultChild as CfnElement)}`, name];
    }),
  );
  const adminFn = ours.admin!;
  adminLogicalId = Stack.of(adminFn).getLogicalId(adminFn.node.defaultChild as CfnElement);
  outputs = assembly.getStackArtifact(stack.artifactId).template.Outputs ?? {};
  for (const artifact of assembly.stacks) {
    const template = artifact.template as { Resources: Record<string, TemplateResource> };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const name = idOf.get(`${artifact.id}/${logicalId}`);
      // The CDK's own provider-framework handlers are not ours to prove (they run on the runtime's bundled SDK).
      if (name === undefined) {
        expect({ logicalId, runtime: resource.Properties.Runtime }).not.toEqual({ logicalId, runtime: 'nodejs22.x' });
        continue;
      }
      const hash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
      const asset = assets[hash]!;
      expect(asset.source.packaging).toBe('zip');
      const dir = join(work, `bundle-${name}`);
      cpSync(join(outdir, asset.source.path), dir, { recursive: true });
      const [file, handler] = String(resource.Properties.Handler).split('.') as [string, string];
      expect(file).toBe('index');
      fns.set(name, {
        name,
        handler,
        dir,
        env: localEnvironment(name, resource.Properties.Environment?.Variables ?? {}),
      });
    }
  }
}, 600_000);

afterAll(() => {
  for (const dir of [work, outdir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the synthesized Lambda bundles, loaded alone and invoked with AWS event shapes', () => {
  let keys: { ingest: string; read: string };

  it('are self-contained: one asset per function, no node_modules in or above it', () => {
    // Measured once per run; a number for the report, never a threshold.
    // eslint-disable-next-line no-console -- the report line of this test
    console.log(`bundles: synth with bundling took ${synthMs} ms for ${fns.size} functions`);
    // The CLI finds the admin function by this output of the stack it is given (adapters/aws/admin-invoke.ts).
    expect(outputs[ADMIN_FUNCTION_OUTPUT]?.Value).toEqual({ Ref: adminLogicalId });
    expect([...fns.keys()].sort()).toEqual([
      'admin',
      'aggregate',
      'alert',
      'alertTick',
      'dispatch',
      'ingest',
      'maintenance',
      'migrations',
      'query',
      'topics',
    ]);
    for (const fn of fns.values()) {
      expect({
        fn: fn.name,
        files: readdirSync(fn.dir)
          .filter((f) => !f.endsWith('.map'))
          .sort(),
      }).toEqual({
        fn: fn.name,
        files: fn.name === 'migrations' ? ['index.js', 'migrations'] : ['index.js'],
      });
      expect(hasNodeModulesAbove(fn.dir)).toBeUndefined();
    }
  });

  it('migrations: a CloudFormation Create applies every SQL file to an empty database, an Update none', async () => {
    const url = new URL(env.config.database.url);
    url.pathname = `${url.pathname}_mig`;
    await ensureDatabase(url.toString());
    dropAfter.push(url.toString());
    const sqlFiles = readdirSync(MIGRATIONS_PATH)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    const created = await invoke('migrations', customResourceEvent('Create', 'Custom::Migrations', { Digest: 'a' }), {
      DATABASE_URL: url.toString(),
    });
    expect(created).toEqual({ PhysicalResourceId: 'customersignal-migrations', Data: { Applied: expect.any(String) } });
    expect(created.Data.Applied.split(',')).toHaveLength(sqlFiles.length);
    expect(
      await invoke('migrations', customResourceEvent('Update', 'Custom::Migrations', { Digest: 'b' }), {
        DATABASE_URL: url.toString(),
      }),
    ).toEqual({
      PhysicalResourceId: 'customersignal-migrations',
      Data: { Applied: '(none)' },
    });
  });

  it('topics: a CloudFormation Create creates the topics on the broker', async () => {
    const result = await invoke('topics', customResourceEvent('Create', 'Custom::KafkaTopics', {}));
    const { eventsRaw, eventsDlq, metricUpdates } = env.config.kafka.topics;
    expect(result.PhysicalResourceId).toBe('customersignal-topics');
    const listed = Object.fromEntries(
      (result.Data.Topics as string).split(',').map((t) => t.split(':') as [string, string]),
    );
    expect(Object.keys(listed).sort()).toEqual([eventsRaw, eventsDlq, metricUpdates].sort());
    expect(Number(listed[eventsRaw])).toBe(env.config.kafka.eventsRawPartitions);
    const admin = env.adapters.kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([eventsRaw, eventsDlq, metricUpdates]));
    } finally {
      await admin.disconnect();
    }
  });

  it('admin: creates the first tenant, its project and keys (the payload `customersignal --aws` sends)', async () => {
    const slug = `bundle-${env.runId.slice(-8).replace(/_/g, '-')}`;
    const tenant = await invoke('admin', { command: 'tenant create', slug });
    expect(tenant).toMatchObject({ ok: true, data: { slug } });
    tenantIds.push(tenant.data.id);
    expect(await invoke('admin', { command: 'project create', tenant: slug, slug: 'web' })).toMatchObject({ ok: true });
    const ingest = await invoke('admin', { command: 'key create', tenant: slug, scope: 'ingest' });
    const read = await invoke('admin', { command: 'key create', tenant: slug, scope: 'read' });
    expect(await invoke('admin', { command: 'tenant create', slug })).toEqual({
      ok: false,
      error: `tenant "${slug}" already exists`,
    });
    keys = { ingest: ingest.data.key, read: read.data.key };
  });

  it('ingest: API Gateway v2 POST /v1/events answers 202 with the key, 401 without', async () => {
    const events = [
      { event_type: 'signup', project: 'web', user_id: 'u-1', properties: { plan: 'pro' } },
      { event_type: 'signup', project: 'web', user_id: 'u-2' },
    ];
    const accepted = await invoke('ingest', httpEvent('POST', '/v1/events', { key: keys.ingest, json: { events } }));
    expect({ status: accepted.statusCode, body: JSON.parse(accepted.body) }).toMatchObject({
      status: 202,
      body: { accepted: 2, rejected: 0 },
    });
    const refused = await invoke('ingest', httpEvent('POST', '/v1/events', { json: events[0] }));
    expect(refused.statusCode).toBe(401);
  });

  it('aggregate: the MSK batch of events_raw is stored and counted', async () => {
    const { event, count } = await mskBatchOf(env.config.kafka.topics.eventsRaw);
    expect(count).toBe(2);
    await invoke('aggregate', event);
    expect(await storedEventCount(env.adapters.sql, tenantIds[0]!)).toBe(2);
  });

  it('query: API Gateway v2 GET /v1/events and /v1/metrics show what was aggregated', async () => {
    const listed = await invoke(
      'query',
      httpEvent('GET', '/v1/events', { key: keys.read, query: 'event_type=signup' }),
    );
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body).events).toHaveLength(2);
    const metrics = await invoke(
      'query',
      httpEvent('GET', '/v1/metrics', { key: keys.read, query: 'event_type=signup&metric=count&interval=1m' }),
    );
    expect(metrics.statusCode).toBe(200);
    expect((JSON.parse(metrics.body).points as { value: number }[]).reduce((n, p) => n + p.value, 0)).toBe(2);
    expect((await invoke('query', httpEvent('GET', '/healthz'))).statusCode).toBe(200);
  });

  it('alert: the MSK batch of metric_updates is evaluated', async () => {
    const { event, count } = await mskBatchOf(env.config.kafka.topics.metricUpdates);
    expect(count).toBeGreaterThan(0);
    expect(await invoke('alert', event)).toMatchObject({ notices: expect.any(Number), rules: 0, notifications: 0 });
  });

  it('maintenance, alert tick and dispatch: an EventBridge scheduled event each', async () => {
    expect(await invoke('maintenance', scheduledEvent())).toMatchObject({ partitionsCreated: expect.any(Number) });
    await invoke('alertTick', scheduledEvent());
    expect(await invoke('dispatch', scheduledEvent())).toEqual({ attempted: 0, delivered: 0, failed: 0 });
  });
});
