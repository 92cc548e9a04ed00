/**
 * Local Kafka broker for development, from Maven Central jars (see broker.ts).
 *
 *   tsx scripts/kafka/cli.ts fetch    download the jars into .cache/kafka/<version>/libs (once)
 *   tsx scripts/kafka/cli.ts start    start a detached broker; returns once it answers
 *   tsx scripts/kafka/cli.ts stop     stop the broker started from KAFKA_DATA_DIR (pid file)
 *   tsx scripts/kafka/cli.ts status   exit 0 if a broker answers on KAFKA_BROKERS, 1 if not
 *
 * Env: KAFKA_BROKERS   host:port to listen on / check (first entry; default 127.0.0.1:9092)
 *      KAFKA_DATA_DIR  data dir (default <repo>/.cache/kafka-data)
 *      KAFKA_HEAP_MB   broker max heap (default 512)
 */
import * as path from 'node:path';
import {
  KAFKA_VERSION,
  brokerAnswers,
  ensureKafkaJars,
  isListening,
  runningBrokerPid,
  startBroker,
  stopBrokerByPidFile,
} from './broker';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

function target(): { host: string; port: number } {
  const raw = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]?.trim() ?? '';
  const hostPort = raw.replace(/^[a-z_]+:\/\//i, '');
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(hostPort);
  if (!m?.[1] || !m[2]) throw new Error(`KAFKA_BROKERS must look like host:port, got "${raw}"`);
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) throw new Error(`invalid port in KAFKA_BROKERS: "${raw}"`);
  return { host: m[1], port };
}

const dataDir = () => path.resolve(process.env.KAFKA_DATA_DIR ?? path.join(REPO_ROOT, '.cache', 'kafka-data'));

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'fetch': {
      const libs = await ensureKafkaJars({ log: (l) => console.log(l) });
      console.log(`Kafka ${KAFKA_VERSION} jars ready in ${libs}`);
      return 0;
    }
    case 'start': {
      const { host, port } = target();
      const dir = dataDir();
      if (await isListening(host, port)) {
        const answers = await brokerAnswers(host, port);
        console.log(
          answers
            ? `Kafka already answering on ${host}:${port}; not starting another.`
            : `Something (not answering as Kafka yet) already listens on ${host}:${port}; not starting another.`,
        );
        return 0;
      }
      const heapRaw = process.env.KAFKA_HEAP_MB;
      const heapMb = heapRaw ? Number.parseInt(heapRaw, 10) : undefined;
      if (heapRaw && !(heapMb && heapMb > 0)) throw new Error(`invalid KAFKA_HEAP_MB "${heapRaw}"`);
      const t0 = Date.now();
      const broker = await startBroker({
        host,
        port,
        dataDir: dir,
        heapMb,
        detached: true,
        log: (l) => console.log(l),
      });
      console.log(
        `Kafka ${KAFKA_VERSION} running on ${broker.brokers} (pid ${broker.pid}, data ${dir}, log ${path.join(dir, 'broker.log')}) - started in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
      );
      return 0;
    }
    case 'stop': {
      const dir = dataDir();
      const pid = await runningBrokerPid(dir);
      if (await stopBrokerByPidFile(dir)) {
        console.log(`Kafka stopped (pid ${pid ?? '?'}, data ${dir}).`);
      } else {
        console.log(`No Kafka broker running for ${dir}.`);
      }
      return 0;
    }
    case 'status': {
      const { host, port } = target();
      const pid = await runningBrokerPid(dataDir());
      const pidInfo = pid ? ` (pid ${pid} from ${path.join(dataDir(), 'broker.pid')})` : '';
      if (await brokerAnswers(host, port)) {
        console.log(`Kafka answering on ${host}:${port}${pidInfo}.`);
        return 0;
      }
      const listening = await isListening(host, port);
      console.log(
        listening
          ? `Something listens on ${host}:${port} but does not answer as Kafka${pidInfo}.`
          : `Kafka not running on ${host}:${port}${pidInfo}.`,
      );
      return 1;
    }
    default:
      console.error('usage: tsx scripts/kafka/cli.ts fetch|start|stop|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One clear line; broker.ts errors put details (e.g. the broker log tail) on later lines,
    // which are shown only with KAFKA_VERBOSE=1 (the first line names the log file).
    const msg = err instanceof Error ? err.message : String(err);
    const [first, ...rest] = msg.split('\n');
    console.error(`kafka ${process.argv[2] ?? ''}: ${first}`);
    if (rest.length && process.env.KAFKA_VERBOSE) console.error(rest.join('\n'));
    process.exit(1);
  },
);
