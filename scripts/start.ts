// `npm start`: the whole platform on this machine, with a demo tenant and demo traffic; `--only <roles>` runs some
// roles in a process that joins a running platform (e.g. another aggregate worker in the same consumer group).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { config, ConfigError, type Config } from '../adapters/config';
import { createAdapters, topicSpecs } from '../adapters';
import { createSql, ensureDatabase, type Sql } from '../adapters/postgres/client';
import { migrate } from '../adapters/postgres/migrate';
import { ensureTopics } from '../adapters/kafka/topics';
import { createKafka } from '../adapters/kafka/client';
import { createRedis } from '../adapters/redis/client';
import { createProject, createTenant, findTenantBySlug } from '../adapters/postgres/tenants-store';
import { createKeyFor } from './admin';
import { startLocalRuntime } from '../local/runtime';
import { startDemoTraffic } from './demo-traffic';
import { ensureKafkaJars, isListening, KAFKA_VERSION, startBroker, type RunningBroker } from './kafka/broker';
import { createKeyResolver } from '../adapters/key-resolver';
import { insertRule } from '../adapters/postgres/alert-rules-store';
import { declareEventType } from '../adapters/postgres/catalog-store';
import { ensureDefaultDashboard } from '../adapters/postgres/dashboards-store';
import {
  defaultAggregateProcesses,
  parseStartArgs,
  runtimeOptions,
  StartArgsError,
  type Role,
  type StartArgs,
} from '../local/roles';
import { superviseChildren, type Supervisor } from '../local/supervisor';

const ROOT = resolve(__dirname, '..');
const STATE_DIR = join(ROOT, '.customersignal');
const DEMO_KEYS_FILE = join(STATE_DIR, 'demo-keys.json');
const DEMO_TENANT = 'demo';
const DEMO_PROJECT = 'web';

class StartError extends Error {}

const say = (line: string) => process.stdout.write(line + '\n');

async function checkPostgres(cfg: Config): Promise<void> {
  try {
    await ensureDatabase(cfg.database.url);
  } catch (e) {
    const where = new URL(cfg.database.url).host;
    throw new StartError(
      `Postgres is not reachable at ${where} (${(e as Error).message}). Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start — or set DATABASE_URL.`,
    );
  }
}

/** The `hll` extension (unique-user sketches, migration 004): installed with scripts/install-postgres-hll.sh when missing. */
async function ensureHllExtension(cfg: Config): Promise<void> {
  const sql = createSql({ ...cfg.database, poolSize: 1 });
  try {
    const [row] = await sql<
      { ok: boolean }[]
    >`select exists (select 1 from pg_available_extensions where name = 'hll') as ok`;
    if (row?.ok) return;
  } finally {
    await sql.end({ timeout: 5 });
  }
  say('Postgres: the hll extension is missing; installing it (scripts/install-postgres-hll.sh)…');
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'install-postgres-hll.sh')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: cfg.database.url },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0)
    throw new StartError(
      'Postgres lacks the hll extension and it could not be installed here; as root run: bash scripts/install-postgres-hll.sh (apt-get install postgresql-<major>-hll)',
    );
}

async function checkRedis(cfg: Config): Promise<void> {
  const redis = createRedis(cfg.redis.url);
  redis.on('error', () => undefined);
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3_000)),
    ]);
  } catch (e) {
    throw new StartError(
      `Redis is not reachable at ${new URL(cfg.redis.url).host} (${(e as Error).message}). Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no — or set REDIS_URL.`,
    );
  } finally {
    redis.disconnect();
  }
}

async function ensureKafka(cfg: Config, args: StartArgs): Promise<RunningBroker | undefined> {
  const [host, port] = cfg.kafka.brokers[0]!.split(':') as [string, string];
  if (await isListening(host, Number(port))) {
    say(`Kafka: using the broker on ${host}:${port}`);
    return undefined;
  }
  if (args.only) {
    // A broker lives as long as the process that started it: a worker that started one would take it down on Ctrl-C.
    throw new StartError(
      `Kafka is not reachable at ${cfg.kafka.brokers.join(',')}; --only joins a running platform: start \`npm start\` (or \`npm run kafka:start\`) first.`,
    );
  }
  if (cfg.kafka.brokers.length > 1 || !['127.0.0.1', 'localhost'].includes(host)) {
    throw new StartError(
      `Kafka is not reachable at ${cfg.kafka.brokers.join(',')}; start it or point KAFKA_BROKERS at a running broker.`,
    );
  }
  say(
    `Kafka: nothing listens on ${host}:${port}; starting Apache Kafka ${KAFKA_VERSION} (jars from Maven Central, cached in .cache/)…`,
  );
  await ensureKafkaJars({ log: (l) => say(`  ${l}`) });
  const dataDir = join(ROOT, '.cache', 'kafka-data');
  mkdirSync(dataDir, { recursive: true });
  // Its own process group: Ctrl-C stops npm start's consumers and API first, then npm start stops the broker.
  const broker = await startBroker({
    host,
    port: Number(port),
    dataDir,
    logFile: join(dataDir, 'broker.log'),
    ownProcessGroup: true,
  });
  say(`Kafka: started on ${broker.brokers} (data in .cache/kafka-data, log in .cache/kafka-data/broker.log)`);
  return broker;
}

interface DemoKeys {
  tenant: string;
  ingest: string;
  read: string;
  admin: string;
}

/** The demo's declared dimensions per event type. */
const DEMO_DIMENSIONS: Record<string, string[]> = {
  page_view: ['country'],
  signup: ['country', 'plan'],
  checkout_started: ['country'],
  checkout_failed: ['country', 'reason'],
};

/** The demo tenant and its keys. Keys are shown once by design, so the demo keeps its own in a git-ignored file. */
async function ensureDemoTenant(sql: Sql): Promise<DemoKeys> {
  let tenant = await findTenantBySlug(sql, DEMO_TENANT);
  if (!tenant) {
    tenant = await createTenant(sql, DEMO_TENANT, 'Demo Inc.');
    const project = await createProject(sql, tenant.id, DEMO_PROJECT, 'Web app', 'open');
    // A demo alert rule: the demo traffic's checkout failures (~19 a minute) now and then exceed it.
    await insertRule(sql, tenant.id, randomUUID(), project.id, {
      name: 'Checkout failures (demo)',
      project: DEMO_PROJECT,
      event_type: 'checkout_failed',
      metric: 'count',
      condition: { op: '>', threshold: 25 },
      window: '1m',
      for: '0s',
      cooldown: '10m',
      enabled: true,
      channels: [{ type: 'email', to: ['ops@demo.example'] }],
    });
    await ensureDefaultDashboard(sql, tenant.id, ['page_view', 'signup', 'checkout_failed']);
    // Breakdowns by country (and reason, plan) read pre-aggregated dimension rollups (docs/api.md#breakdowns).
    const cfg = config();
    for (const [eventType, names] of Object.entries(DEMO_DIMENSIONS)) {
      await declareEventType(
        sql,
        {
          tenantId: tenant.id,
          projectId: project.id,
          eventType,
          properties: {},
          dimensions: {
            names,
            maxValues: cfg.breakdowns.dimensionMaxValues,
            maxFutureSkewMs: cfg.limits.maxFutureSkewMs,
          },
        },
        cfg.catalog,
      );
    }
  }
  if (existsSync(DEMO_KEYS_FILE)) {
    const saved = JSON.parse(readFileSync(DEMO_KEYS_FILE, 'utf8')) as DemoKeys;
    const resolver = createKeyResolver(sql, 0);
    const valid = await Promise.all([saved.ingest, saved.read, saved.admin].map((k) => resolver.resolve(k)));
    if (saved.tenant === tenant.id && valid.every((p) => p?.tenantId === tenant.id)) return saved;
  }
  const keys: DemoKeys = {
    tenant: tenant.id,
    ingest: (await createKeyFor(sql, DEMO_TENANT, ['ingest'])).key,
    read: (await createKeyFor(sql, DEMO_TENANT, ['read'])).key,
    admin: (await createKeyFor(sql, DEMO_TENANT, ['admin'])).key,
  };
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(DEMO_KEYS_FILE, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  return keys;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function ensureWebBuilt(cfg: Config): void {
  const index = join(ROOT, cfg.webDistDir, 'index.html');
  const sources = join(ROOT, 'frontend', 'src');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(sources)) return;
  say('Dashboard: building the SPA (vite build)…');
  const r = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new StartError('building the dashboard failed; run `npm run build:web` to see why');
}

/** Schema, topics, and for the http role the dashboard build and demo tenant: everything the runtime expects to exist. */
async function prepare(cfg: Config, roles: Role[], only: boolean): Promise<DemoKeys | undefined> {
  const sql = createSql({ ...cfg.database, poolSize: 2 });
  try {
    const migrated = await migrate(sql);
    if (migrated.applied.length > 0) say(`Postgres: applied ${migrated.applied.join(', ')}`);
    await ensureTopics(createKafka(cfg.kafka), topicSpecs(cfg));
    if (!roles.includes('http')) return undefined;
    ensureWebBuilt(cfg);
    // The demo tenant and its keys file belong to the full platform: an --only process joins one (and tests that
    // run roles as processes against their own database must not rewrite the developer's keys file).
    if (only) return undefined;
    return await ensureDemoTenant(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Set in the environment of npm start's own children (startAggregateProcesses), which also have an IPC channel. */
const SUPERVISED_ENV = 'CUSTOMERSIGNAL_SUPERVISED';

/** The aggregate role in `count` child processes of its own, each `--only aggregate` in the same consumer group. */
function startAggregateProcesses(count: number): Supervisor | undefined {
  if (count === 0) return undefined;
  const specs = Array.from({ length: count }, (_, k) => ({
    label: `aggregate ${k + 1}`,
    // The same node and loader (tsx) as this process.
    command: process.execPath,
    args: [...process.execArgv, __filename, '--only', 'aggregate', '--aggregate-processes', '0'],
    env: { ...process.env, [SUPERVISED_ENV]: '1' },
    cwd: ROOT,
  }));
  return superviseChildren(specs, { say });
}

function printProcesses(count: number): void {
  say(
    count === 0
      ? '  Aggregate consumer: in this process (npm start -- --aggregate-processes N gives it N processes of their own)'
      : `  Aggregate consumer: ${count} process${count === 1 ? '' : 'es'} of its own in one consumer group (npm start -- --aggregate-processes N; 0: in this process)`,
  );
}

function printWelcome(url: string, keys: DemoKeys, demo: boolean, aggregateProcesses: number): void {
  say(`CustomerSignal is running at ${url}`);
  say(`  Dashboard:  ${url}/   (sign in with the read or admin key)`);
  say(`  Tenant:     ${DEMO_TENANT}, project "${DEMO_PROJECT}"`);
  say(`  Ingest key: ${keys.ingest}`);
  say(`  Read key:   ${keys.read}`);
  say(`  Admin key:  ${keys.admin}`);
  say(`  Demo traffic: ${demo ? 'on (~4 events/s; npm start -- --no-demo turns it off)' : 'off'}`);
  printProcesses(aggregateProcesses);
  say('');
  say(
    `  Alerts:     rule "Checkout failures (demo)" e-mails ops@demo.example; mails are kept in ${config().mail.sinkDir}/`,
  );
  say(
    `              webhooks: npm run webhook-receiver (http://127.0.0.1:4000/hook), then add a webhook rule (README, Alerts)`,
  );
  say('');
  say('Try it:');
  say(
    `  curl -s -X POST ${url}/v1/events -H 'Authorization: Bearer ${keys.ingest}' -H 'Content-Type: application/json' \\`,
  );
  say(`       -d '{"event_type":"checkout_failed","project":"${DEMO_PROJECT}","user_id":"u1"}'`);
  say(`  curl -s '${url}/v1/metrics?event_type=checkout_failed&interval=1m' -H 'Authorization: Bearer ${keys.read}'`);
  say('');
}

function printWorker(cfg: Config, roles: Role[], url: string): void {
  say(
    `CustomerSignal worker running: ${roles.join(', ')}${roles.includes('http') ? ` (API and dashboard at ${url}; keys from the full npm start or the CLI)` : ' (no HTTP listener in this process)'}`,
  );
  if (roles.includes('aggregate'))
    say(
      `  Aggregate: consumer group "${cfg.kafka.groups.aggregate}" on ${cfg.kafka.topics.eventsRaw}; partitions are shared with every other aggregate process`,
    );
  if (roles.includes('scheduler'))
    say('  Scheduler: maintenance every tick (partitions, retention, consumer lag, freshness)');
  if (roles.includes('alert'))
    say(`  Alert: consumer group "${cfg.kafka.groups.alert}" on ${cfg.kafka.topics.metricUpdates}, and the alert tick`);
  if (roles.includes('dispatch')) say('  Dispatch: delivers due alert notifications (webhooks, e-mail)');
  say('');
}

async function main(): Promise<void> {
  const args = parseStartArgs(process.argv.slice(2));
  const cfg = config();
  // Children that run the aggregate role; then this process runs the other roles only.
  const aggregateProcesses = args.roles.includes('aggregate')
    ? defaultAggregateProcesses(args, availableParallelism())
    : 0;
  const ownRoles = aggregateProcesses > 0 ? args.roles.filter((r) => r !== 'aggregate') : args.roles;
  // Started by another npm start (--aggregate-processes): it reads our output under a label, and we stop when it is
  // gone. Its death closes our stdout's reader too; a write then fails with EPIPE, which must not end this process
  // before it has left the consumer group.
  const supervised = process.env[SUPERVISED_ENV] === '1' && process.channel !== undefined;
  if (supervised) for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  if (!supervised) say(`Roles: ${args.roles.join(', ')}${args.only ? ' (--only)' : ''}`);
  await checkPostgres(cfg);
  await ensureHllExtension(cfg);
  await checkRedis(cfg);
  const broker = await ensureKafka(cfg, args);
  const stopBroker = async () => {
    if (broker) {
      say('Kafka: stopping the broker started by npm start');
      await broker.stop();
    }
  };
  try {
    const keys = await prepare(cfg, args.roles, args.only);
    const adapters = createAdapters(cfg);
    // The SMTP sink (alert e-mails kept in MAIL_SINK_DIR) belongs to the full platform; an --only process would clash on its port.
    const runtime = await startLocalRuntime(adapters, { ...runtimeOptions(ownRoles), mailSink: !args.only }).catch(
      async (e: { code?: string }) => {
        await adapters.close();
        if (e.code === 'EADDRINUSE' && (e as { port?: number }).port === cfg.mail.sinkPort) {
          throw new StartError(
            `Port ${cfg.mail.sinkPort} (the local SMTP sink for alert e-mails) is in use (another npm start?); stop that process or set MAIL_SINK_PORT.`,
          );
        }
        if (e.code === 'EADDRINUSE')
          throw new StartError(
            `Port ${cfg.http.port} on ${cfg.http.host} is in use (another npm start?); stop that process or set PORT.`,
          );
        throw e;
      },
    );
    // The demo belongs to the full platform; an extra --only process would double its traffic.
    const demo = args.demo && !args.only && keys !== undefined;
    const traffic =
      keys && demo
        ? startDemoTraffic({
            url: runtime.url,
            key: keys.ingest,
            project: DEMO_PROJECT,
            onError: (m) => say(`demo traffic: ${m}`),
          })
        : undefined;
    const children = startAggregateProcesses(aggregateProcesses);
    if (supervised) {
      // A child of another npm start: one line, under its label in that process's output.
      say(`running: ${args.roles.join(', ')} (consumer group "${cfg.kafka.groups.aggregate}")`);
    } else {
      say('');
      if (keys) printWelcome(runtime.url, keys, demo, aggregateProcesses);
      else printWorker(cfg, args.roles, runtime.url);
      if (!keys && args.roles.includes('aggregate')) printProcesses(aggregateProcesses);
      say('Ctrl-C stops everything npm start started.');
    }

    await new Promise<void>((resolveStop) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        say('\nStopping…');
        traffic?.stop();
        void Promise.resolve(children?.stop())
          .then(() => runtime.stop())
          .then(() => adapters.close())
          .finally(resolveStop);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // A child of another npm start (above) stops when that process is gone, however it ended, also when that
      // happened while this one was still starting.
      if (supervised) {
        if (process.connected) process.on('disconnect', stop);
        else stop();
      }
    });
  } finally {
    await stopBroker();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    const message =
      e instanceof StartError || e instanceof ConfigError || e instanceof StartArgsError
        ? e.message
        : `start failed: ${(e as Error).stack ?? String(e)}`;
    process.stderr.write(message + '\n');
    process.exit(1);
  },
);
