// The chaos suite's own world: a throwaway Kafka broker, Postgres (initdb/pg_ctl) and Redis on free ports, and the
// platform's roles (http, aggregate, alert, dispatch, scheduler) each as a separate real process against them, so
// any of them can be SIGKILLed or stopped and started again without touching shared services.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { childEnv, ROOT } from '../child-process';
import { createTestEnv, type TestEnv } from '../harness';
import {
  startThrowawayPostgres,
  startThrowawayRedis,
  type ThrowawayPostgres,
  type ThrowawayRedis,
} from '../throwaway-services';
import { ensureKafkaJars, freePort, isListening, startBroker, type RunningBroker } from '../../scripts/kafka/broker';

export const ROLE_NAMES = ['http', 'aggregate', 'alert', 'dispatch', 'scheduler'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface Cluster {
  env: TestEnv;
  dir: string;
  /** Base URL of the ingest/query server (a fixed free port, so producers find a restarted server). */
  url: string;
  startRole(role: RoleName): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  killRole(role: RoleName): Promise<void>;
  stopKafka(): Promise<void>;
  startKafka(): Promise<void>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  /** Kills every process it started, stops the services and removes every data dir (the role logs are copied to
   * `keepLogsIn` first, when given). Safe to call twice. */
  destroy(keepLogsIn?: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ClusterOptions {
  log: (line: string) => void;
  roleEnv?: Record<string, string>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-chaos-'));
  const children = new Map<RoleName, ChildProcess>();
  let pg: ThrowawayPostgres | undefined;
  let redis: ThrowawayRedis | undefined;
  let broker: RunningBroker | undefined;
  let env: TestEnv | undefined;
  const kafkaDir = join(dir, 'kafka');
  mkdirSync(kafkaDir);
  let kafkaPort = 0;
  const startOwnBroker = () =>
    startBroker({
      host: '127.0.0.1',
      port: kafkaPort,
      dataDir: kafkaDir,
      logFile: join(kafkaDir, 'broker.log'),
      heapMb: 384,
      startTimeoutMs: 120_000,
    });

  let destroyed = false;
  const destroy = async (keepLogsIn?: string) => {
    if (destroyed) return;
    destroyed = true;
    for (const [, child] of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await Promise.race([gone, sleep(5_000)]);
      }
    }
    children.clear();
    await env?.adapters.close().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    await pg?.destroy().catch(() => undefined);
    await redis?.destroy().catch(() => undefined);
    if (keepLogsIn) {
      mkdirSync(keepLogsIn, { recursive: true });
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')))
        copyFileSync(join(dir, f), join(keepLogsIn, f));
      if (existsSync(join(kafkaDir, 'broker.log')))
        copyFileSync(join(kafkaDir, 'broker.log'), join(keepLogsIn, 'kafka.log'));
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await ensureKafkaJars({ log: opts.log });
    kafkaPort = await freePort();
    [pg, redis, broker] = await Promise.all([startThrowawayPostgres(), startThrowawayRedis(), startOwnBroker()]);
    const httpPort = await freePort();
    // An index.html newer than frontend/src: the http role then skips the dashboard build (not under test here).
    const web = join(dir, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>chaos</title>\n');
    const overrides: Record<string, string> = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      KAFKA_BROKERS: broker.brokers,
      KAFKA_SEND_TIMEOUT: '2s',
      AGGREGATE_BATCH_SIZE: '200',
      ALERT_TICK: '500ms',
      DISPATCH_TICK: '250ms',
      WEBHOOK_TIMEOUT: '2s',
      SCHEDULER_TICK: '5s',
      MAIL_SINK_PORT: '0',
      // A SIGKILLed member holds its partitions until its session times out: 10 s instead of 30 s shortens every
      // kill fault's recovery without changing what is checked (local/crash-recovery does the same).
      KAFKA_SESSION_TIMEOUT: '10s',
      ...opts.roleEnv,
    };
    env = await createTestEnv('chaos', overrides);
    const roleEnv = childEnv(env.config, {
      ...overrides,
      REDIS_URL: redis.url,
      DATABASE_URL: env.config.database.url,
      DATABASE_POOL_SIZE: '5',
      KAFKA_EVENTS_RAW_PARTITIONS: String(env.config.kafka.eventsRawPartitions),
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      WEB_DIST_DIR: relative(ROOT, web),
      LOG_LEVEL: 'WARN',
    });

    const startRole = async (role: RoleName) => {
      const logFile = join(dir, `${role}.log`);
      appendFileSync(logFile, `--- start ${new Date().toISOString()}\n`);
      // node with tsx as a loader, not the tsx CLI: a SIGKILL of the CLI would leave the real process running.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'scripts/start.ts'), '--only', role, '--no-demo'],
        {
          cwd: ROOT,
          env: roleEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.set(role, child);
      let ready = false;
      let out = '';
      const onData = (c: Buffer) => {
        const s = c.toString('utf8');
        appendFileSync(logFile, s);
        if (!ready) {
          out += s;
          if (/CustomerSignal (worker running|is running at)/.test(out)) ready = true;
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => appendFileSync(logFile, c));
      const deadline = Date.now() + 120_000;
      while (!ready) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `role ${role} exited during start-up (code ${child.exitCode}); see ${logFile}:\n${out.slice(-2000)}`,
          );
        if (Date.now() > deadline) throw new Error(`role ${role} did not start within 120 s; see ${logFile}`);
        await sleep(100);
      }
      if (role === 'http') while (!(await isListening('127.0.0.1', httpPort, 500))) await sleep(100);
    };

    const killRole = async (role: RoleName) => {
      const child = children.get(role);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    };

    // Side by side: each waits only for its own start-up (the schema and topics exist already: createTestEnv made them).
    await Promise.all(ROLE_NAMES.map((role) => startRole(role)));

    const e = env;
    return {
      env: e,
      dir,
      url: `http://127.0.0.1:${httpPort}`,
      startRole,
      killRole,
      async stopKafka() {
        await broker!.stop();
      },
      async startKafka() {
        broker = await startOwnBroker();
      },
      stopPostgres: () => pg!.stop(),
      startPostgres: () => pg!.start(),
      stopRedis: () => redis!.stop(),
      startRedis: () => redis!.start(),
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}
