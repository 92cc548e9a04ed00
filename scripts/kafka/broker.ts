/**
 * Local single-node Apache Kafka broker (KRaft, combined broker+controller) run
 * straight from Maven Central jars.
 *
 *   - The Kafka version is pinned once, in scripts/kafka/pom.xml (<kafka.version>);
 *     KAFKA_VERSION below is read from there.
 *   - ensureKafkaJars() resolves the broker's jars with Maven into
 *     <repo>/.cache/kafka/<version>/libs (git-ignored), once.
 *   - startBroker() writes server.properties + a log4j config into a data dir,
 *     formats KRaft storage once, starts `java kafka.Kafka` and waits until the
 *     broker answers a Kafka Metadata request.
 *
 * Only node: builtins are used here (the readiness probe speaks the Kafka wire
 * protocol directly), so this module has no npm dependencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { KAFKA_MAX_MESSAGE_BYTES } from '../../adapters/kafka/limits';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POM_PATH = path.join(__dirname, 'pom.xml');

function readPinnedVersion(): string {
  const pom = fs.readFileSync(POM_PATH, 'utf8');
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error(`Cannot find <kafka.version> in ${POM_PATH}`);
  return m[1];
}

/** Kafka version pinned in scripts/kafka/pom.xml (the single source of truth). */
export const KAFKA_VERSION: string = readPinnedVersion();

const KAFKA_MAJOR = Number.parseInt(KAFKA_VERSION.split('.')[0] ?? '0', 10);
const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'kafka', KAFKA_VERSION);
const LIBS_DIR = path.join(CACHE_DIR, 'libs');
const MARKER = path.join(CACHE_DIR, 'libs.complete');

type LogFn = (line: string) => void;
const noop: LogFn = () => undefined;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true if `p` settles within ms, false otherwise (the timer is cleared as soon as p settles). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}

// ---------------------------------------------------------------------------
// Tool discovery
// ---------------------------------------------------------------------------

function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = path.join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a command, collecting stdout+stderr. Rejects only if it cannot be spawned. */
function run(cmd: string, args: string[], opts: { cwd?: string; onLine?: LogFn } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(err);
      return;
    }
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      output += s;
      if (output.length > 200_000) output = output.slice(-100_000);
      if (opts.onLine) {
        pending += s;
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) opts.onLine(l);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (opts.onLine && pending.trim()) opts.onLine(pending);
      resolve({ code, signal, output });
    });
  });
}

function isEnoent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

let javaChecked = false;
async function assertJava(): Promise<string> {
  const java = javaBin();
  if (javaChecked) return java;
  let res: RunResult;
  try {
    res = await run(java, ['-version']);
  } catch (err) {
    if (isEnoent(err)) {
      throw new Error(
        `Java not found (tried "${java}"). Kafka ${KAFKA_VERSION} needs a Java ${KAFKA_MAJOR >= 4 ? '17' : '11'}+ runtime on PATH (or JAVA_HOME).`,
        { cause: err },
      );
    }
    throw err;
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.output);
  if (res.code !== 0 || !m) throw new Error(`"${java} -version" failed: ${res.output.trim().split('\n')[0] ?? ''}`);
  let major = Number(m[1]);
  if (major === 1 && m[2]) major = Number(m[2]); // 1.8 -> 8
  const needed = KAFKA_MAJOR >= 4 ? 17 : 11;
  if (major < needed) {
    throw new Error(`Kafka ${KAFKA_VERSION} needs Java ${needed}+, but "${java}" is Java ${major}.`);
  }
  javaChecked = true;
  return java;
}

// ---------------------------------------------------------------------------
// Jars
// ---------------------------------------------------------------------------

function pomHash(): string {
  return createHash('sha256').update(fs.readFileSync(POM_PATH)).digest('hex');
}

function jarsComplete(): boolean {
  try {
    return (
      fs.readFileSync(MARKER, 'utf8').trim() === pomHash() &&
      fs.existsSync(path.join(LIBS_DIR, `kafka_2.13-${KAFKA_VERSION}.jar`))
    );
  } catch {
    return false;
  }
}

/**
 * Makes sure the broker jars for KAFKA_VERSION are in <repo>/.cache/kafka/<version>/libs
 * and returns that directory. Runs Maven only when they are missing, incomplete
 * (no marker: e.g. an interrupted download) or pom.xml changed since.
 */
export async function ensureKafkaJars(opts: { log?: LogFn } = {}): Promise<string> {
  const log = opts.log ?? noop;
  if (jarsComplete()) return LIBS_DIR;

  await assertJava(); // Maven needs it too; fail with a clear message first
  await fsp.mkdir(CACHE_DIR, { recursive: true });
  // Leftovers of interrupted downloads (their process is gone).
  for (const name of await fsp.readdir(CACHE_DIR)) {
    const m = /^libs\.tmp-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[1]))) await fsp.rm(path.join(CACHE_DIR, name), { recursive: true, force: true });
  }
  const tmpDir = path.join(CACHE_DIR, `libs.tmp-${process.pid}-${Date.now()}`);
  await fsp.rm(tmpDir, { recursive: true, force: true });

  const mvn = process.platform === 'win32' ? 'mvn.cmd' : 'mvn';
  log(`Fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${LIBS_DIR} ...`);
  const started = Date.now();
  let res: RunResult;
  try {
    res = await run(mvn, [
      '-q',
      '-B',
      '-f',
      POM_PATH,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${tmpDir}`,
      '-DincludeScope=runtime',
    ]);
  } catch (err) {
    if (isEnoent(err)) {
      throw new Error(
        'Maven ("mvn") not found on PATH; it is needed once to download the Kafka jars from Maven Central (e.g. apt-get install maven).',
        { cause: err },
      );
    }
    throw err;
  }
  if (res.code !== 0) {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    const tail = res.output.trim().split('\n').slice(-15).join('\n');
    const hint = /JAVA_HOME|java: not found|No such file/i.test(tail) ? ' (is Java installed?)' : '';
    throw new Error(`Maven failed to fetch Kafka ${KAFKA_VERSION} jars${hint} (exit ${res.code}):\n${tail}`);
  }
  if (!fs.existsSync(path.join(tmpDir, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing from ${tmpDir}`);
  }

  // Another process may have completed the same download concurrently.
  if (jarsComplete()) {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    return LIBS_DIR;
  }
  await fsp.rm(MARKER, { force: true });
  await fsp.rm(LIBS_DIR, { recursive: true, force: true });
  await fsp.rename(tmpDir, LIBS_DIR);
  await fsp.writeFile(MARKER, `${pomHash()}\n`);
  const count = (await fsp.readdir(LIBS_DIR)).length;
  log(`Fetched ${count} jars in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return LIBS_DIR;
}

// ---------------------------------------------------------------------------
// Network helpers
// ---------------------------------------------------------------------------

/** Plain TCP connect check. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.on('error', noop);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

/**
 * Speaks just enough of the Kafka protocol to ask a broker for metadata:
 * ApiVersions v0 (to pick a Metadata version), then Metadata v1..v4 for all topics.
 * Resolves with the number of brokers in the response (>= 1 means the broker serves requests).
 */
function requestMetadata(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let step: 'apiVersions' | 'metadata' = 'apiVersions';
    let metadataVersion = 1;
    const clientId = Buffer.from('customersignal-probe');

    const finish = (err: Error | null, brokers?: number) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', noop);
      socket.destroy();
      if (err) reject(err);
      else resolve(brokers ?? 0);
    };
    const timer = setTimeout(() => finish(new Error('timeout')), timeoutMs);

    const send = (apiKey: number, apiVersion: number, correlationId: number, body: Buffer) => {
      const header = Buffer.alloc(10);
      header.writeInt16BE(apiKey, 0);
      header.writeInt16BE(apiVersion, 2);
      header.writeInt32BE(correlationId, 4);
      header.writeInt16BE(clientId.length, 8);
      const payload = Buffer.concat([header, clientId, body]);
      const size = Buffer.alloc(4);
      size.writeInt32BE(payload.length, 0);
      socket.write(Buffer.concat([size, payload]));
    };

    const onResponse = (resp: Buffer) => {
      // resp = correlation_id(int32) + body
      if (step === 'apiVersions') {
        const errorCode = resp.readInt16BE(4);
        if (errorCode !== 0) return finish(new Error(`ApiVersions error ${errorCode}`));
        const n = resp.readInt32BE(6);
        let min = -1;
        let max = -1;
        for (let i = 0, off = 10; i < n; i++, off += 6) {
          if (resp.readInt16BE(off) === 3) {
            min = resp.readInt16BE(off + 2);
            max = resp.readInt16BE(off + 4);
          }
        }
        if (max < 0) return finish(new Error('broker does not support Metadata'));
        metadataVersion = Math.min(4, max);
        if (metadataVersion < Math.max(1, min)) {
          // We only implement v1..v4; a broker answering ApiVersions is serving requests.
          return finish(null, 1);
        }
        step = 'metadata';
        // topics: null array (-1) => all topics; v4 adds allow_auto_topic_creation=false.
        const body = Buffer.alloc(metadataVersion >= 4 ? 5 : 4);
        body.writeInt32BE(-1, 0);
        if (metadataVersion >= 4) body.writeInt8(0, 4);
        send(3, metadataVersion, 2, body);
        return;
      }
      const brokersOffset = 4 + (metadataVersion >= 3 ? 4 : 0); // v3+ starts with throttle_time_ms
      return finish(null, resp.readInt32BE(brokersOffset));
    };

    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const size = buf.readInt32BE(0);
        if (buf.length < 4 + size) return;
        const resp = buf.subarray(4, 4 + size);
        buf = buf.subarray(4 + size);
        try {
          onResponse(resp);
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
          return;
        }
      }
    });
    socket.once('connect', () => send(18, 0, 1, Buffer.alloc(0)));
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error('connection closed by broker')));
  });
}

/** True if a Kafka broker on host:port answers a Metadata request listing at least one broker. */
export async function brokerAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  try {
    return (await requestMetadata(host, port, timeoutMs)) >= 1;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie still "exists" for kill(0); treat it as gone.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await sleep(100);
  }
  return !pidAlive(pid);
}

/** Is pid a Kafka broker (started from dataDir, if we can tell)? Guards against pid reuse. */
async function isKafkaPid(pid: number, dataDir: string): Promise<boolean> {
  if (!pidAlive(pid)) return false;
  let cmdline: string | undefined;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    try {
      const res = await run('ps', ['-p', String(pid), '-o', 'command=']);
      cmdline = res.output;
    } catch {
      cmdline = undefined;
    }
  }
  if (cmdline === undefined) return true; // cannot tell: trust the pid file
  return cmdline.includes('kafka.Kafka') && cmdline.includes(path.resolve(dataDir));
}

function tailFile(file: string, lines = 30): string {
  try {
    const stat = fs.statSync(file);
    const len = Math.min(stat.size, 64 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(len);
      fs.readSync(fd, b, 0, len, stat.size - len);
      return b.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '(no log output)';
  }
}

// ---------------------------------------------------------------------------
// Broker
// ---------------------------------------------------------------------------

export interface StartBrokerOptions {
  /** Listener host, also advertised to clients. Default 127.0.0.1. */
  host?: string;
  /** PLAINTEXT (client) port. */
  port: number;
  /** KRaft controller port; a free one is picked when omitted. */
  controllerPort?: number;
  /** server.properties, log4j config, pid file and the Kafka log dir live here. */
  dataDir: string;
  /** Broker stdout/stderr. Default <dataDir>/broker.log (appended). */
  logFile?: string;
  /** Max heap in MB. Default 512. */
  heapMb?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Keep the broker running after this Node process exits. */
  detached?: boolean;
  /**
   * Start it in a process group of its own, so a terminal's Ctrl-C (sent to the whole foreground group) does not stop
   * it before this process has stopped what uses it; it still dies with this process. npm start sets it.
   */
  ownProcessGroup?: boolean;
  /** How long to wait for the broker to answer. Default 60000. */
  startTimeoutMs?: number;
}

export interface RunningBroker {
  /** "host:port", for kafkajs `brokers: [..]`. */
  brokers: string;
  pid: number;
  /** SIGTERM, wait up to 20 s, then SIGKILL. */
  stop(): Promise<void>;
}

function serverProperties(o: { host: string; port: number; controllerPort: number; logDir: string }): string {
  const { host, port, controllerPort, logDir } = o;
  return [
    '# Generated by scripts/kafka/broker.ts - rewritten on every start.',
    'process.roles=broker,controller',
    'node.id=1',
    // Static single-voter quorum: works on 3.9 and 4.x, and (unlike a --standalone
    // dynamic quorum) keeps working if the controller port changes between restarts.
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'delete.topic.enable=true',
    // Record batches up to the size the producer's sends are planned against (adapters/kafka/limits.ts);
    // topics also carry it as max.message.bytes. Replication fetches follow (one broker here; parity with MSK).
    `message.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`,
    `replica.fetch.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`,
    '',
  ].join('\n');
}

function log4jConfig(): { file: string; text: string; jvmFlag: (p: string) => string } {
  if (KAFKA_MAJOR >= 4) {
    return {
      file: 'log4j2.properties',
      jvmFlag: (p) => `-Dlog4j2.configurationFile=${p}`,
      text: [
        'status = warn',
        'shutdownHook = disable',
        'appender.console.type = Console',
        'appender.console.name = STDOUT',
        'appender.console.layout.type = PatternLayout',
        'appender.console.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = WARN',
        'rootLogger.appenderRef.stdout.ref = STDOUT',
        // One INFO line when the broker is up ("Kafka Server started").
        'logger.started.name = kafka.server.KafkaRaftServer',
        'logger.started.level = INFO',
        '',
      ].join('\n'),
    };
  }
  return {
    file: 'log4j.properties',
    jvmFlag: (p) => `-Dlog4j.configuration=file:${p}`,
    text: [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      '',
    ].join('\n'),
  };
}

/** Kafka cluster ids are 16 random bytes, base64url without padding (not starting with '-'). */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Starts a single-node KRaft broker+controller and resolves once it answers a
 * Kafka Metadata request. Formats storage in <dataDir>/kafka-logs the first time.
 */
export async function startBroker(opts: StartBrokerOptions): Promise<RunningBroker> {
  const log = opts.log ?? noop;
  const host = opts.host ?? '127.0.0.1';
  const { port } = opts;
  const heapMb = opts.heapMb ?? 512;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const dataDir = path.resolve(opts.dataDir);
  const logFile = path.resolve(opts.logFile ?? path.join(dataDir, 'broker.log'));
  const logDir = path.join(dataDir, 'kafka-logs');
  const pidFile = path.join(dataDir, 'broker.pid');

  if (await isListening(host, port, 500)) {
    throw new Error(`Cannot start Kafka: something already listens on ${host}:${port}`);
  }
  let controllerPort = opts.controllerPort;
  if (controllerPort === undefined) {
    do controllerPort = await freePort();
    while (controllerPort === port);
  } else if (await isListening(host, controllerPort, 500)) {
    throw new Error(`Cannot start Kafka: controller port ${host}:${controllerPort} is already in use`);
  }

  const oldPid = readPid(dataDir);
  if (oldPid !== undefined && (await isKafkaPid(oldPid, dataDir))) {
    throw new Error(`A Kafka broker for ${dataDir} is already running (pid ${oldPid}); stop it first.`);
  }

  const java = await assertJava();
  const libs = await ensureKafkaJars({ log });

  await fsp.mkdir(logDir, { recursive: true });
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  const propsFile = path.join(dataDir, 'server.properties');
  await fsp.writeFile(propsFile, serverProperties({ host, port, controllerPort, logDir }));
  const l4j = log4jConfig();
  const l4jFile = path.join(dataDir, l4j.file);
  await fsp.writeFile(l4jFile, l4j.text);

  const cp = path.join(libs, '*');
  const jvmBase = [
    `-Xms${Math.min(256, heapMb)}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    l4j.jvmFlag(l4jFile),
  ];

  if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
    const clusterId = randomClusterId();
    log(`Formatting KRaft storage in ${logDir} (cluster id ${clusterId}) ...`);
    const res = await run(java, [
      '-Xmx256m',
      l4j.jvmFlag(l4jFile),
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
      '--ignore-formatted',
    ]);
    await fsp.appendFile(logFile, res.output);
    if (res.code !== 0) {
      throw new Error(
        `Kafka storage format failed (exit ${res.code}; see ${logFile}):\n${res.output.trim().split('\n').slice(-15).join('\n')}`,
      );
    }
  }

  log(
    `Starting Kafka ${KAFKA_VERSION} on ${host}:${port} (controller ${controllerPort}, heap ${heapMb}m, log ${logFile}) ...`,
  );
  const started = Date.now();
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(java, [...jvmBase, '-cp', cp, 'kafka.Kafka', propsFile], {
      cwd: dataDir,
      stdio: ['ignore', out, out],
      detached: !!opts.detached || !!opts.ownProcessGroup,
    });
  } finally {
    fs.closeSync(out);
  }
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    await sleep(50);
    throw new Error(`Failed to start ${java}: ${spawnError?.message ?? 'no pid'}`);
  }
  await fsp.writeFile(pidFile, `${pid}\n`);

  // Without `detached`, do not leave an orphan JVM behind if this process exits early.
  const killOnExit = () => {
    if (!exited) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  if (opts.detached) child.unref();
  else process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        const graceful = await within(exitPromise, 20_000);
        if (!graceful && !exited) {
          log(`Kafka (pid ${pid}) did not stop within 20s; sending SIGKILL`);
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          await within(exitPromise, 5_000);
        }
      }
      process.removeListener('exit', killOnExit);
      if (readPid(dataDir) === pid) await fsp.rm(pidFile, { force: true });
    })();
    return stopping;
  };

  // Wait until the broker serves a Metadata request.
  const deadline = started + timeoutMs;
  for (;;) {
    if (exited) {
      await fsp.rm(pidFile, { force: true });
      throw new Error(
        `Kafka exited during startup (code ${exited.code ?? '-'}${exited.signal ? `, signal ${exited.signal}` : ''}; see ${logFile}). Last log lines:\n${tailFile(logFile)}`,
      );
    }
    if (await brokerAnswers(host, port, 1000)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `Kafka did not answer on ${host}:${port} within ${Math.round(timeoutMs / 1000)}s (see ${logFile}). Last log lines:\n${tailFile(logFile)}`,
      );
    }
    await sleep(200);
  }
  log(
    `Kafka ${KAFKA_VERSION} ready on ${host}:${port} (pid ${pid}) after ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return { brokers: `${host}:${port}`, pid, stop };
}

function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(dataDir, 'broker.pid'), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid from <dataDir>/broker.pid if that process is a running Kafka broker. */
export async function runningBrokerPid(dataDir: string): Promise<number | undefined> {
  const pid = readPid(path.resolve(dataDir));
  return pid !== undefined && (await isKafkaPid(pid, path.resolve(dataDir))) ? pid : undefined;
}

/**
 * Stops the broker whose pid is in <dataDir>/broker.pid (SIGTERM, up to 20 s, then SIGKILL).
 * Resolves true if a running broker was stopped, false if none was running.
 */
export async function stopBrokerByPidFile(dataDir: string): Promise<boolean> {
  const dir = path.resolve(dataDir);
  const pidFile = path.join(dir, 'broker.pid');
  const pid = readPid(dir);
  if (pid === undefined) return false;
  if (!(await isKafkaPid(pid, dir))) {
    await fsp.rm(pidFile, { force: true });
    return false;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  if (!(await waitForExit(pid, 20_000))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await waitForExit(pid, 5_000);
  }
  await fsp.rm(pidFile, { force: true });
  return true;
}
