// The Kafka-only baselines of the ingest benchmark, on the same broker, topic layout and record bytes:
// Kafka's own Java ProducerPerformance, and a bare kafkajs idempotent producer in a send loop.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { processCpuMs } from './sys';

export interface KafkaTarget {
  brokers: string;
  topic: string;
}

export interface ProducerPerfResult {
  /** records/sec of the steady-state summary (after --warmup-records), or of the whole run. */
  recordsPerSec: number;
  line: string;
  /** The java process's CPU time (user+sys) and wall time. */
  cpuMs: number;
  wallMs: number;
  command: string;
}

/** Kafka's org.apache.kafka.tools.ProducerPerformance; its last summary line says records/sec. */
export async function producerPerformance(
  o: KafkaTarget & {
    libsDir: string;
    payloadFile: string;
    records: number;
    warmupRecords: number;
    timeoutMs: number;
    props: Record<string, string>;
    onStart?: (pid: number) => void;
  },
): Promise<ProducerPerfResult> {
  const args = [
    '-Xmx1g',
    '-cp',
    `${o.libsDir}/*`,
    'org.apache.kafka.tools.ProducerPerformance',
    '--bootstrap-server',
    o.brokers,
    '--topic',
    o.topic,
    '--num-records',
    String(o.records),
    '--warmup-records',
    String(o.warmupRecords),
    '--throughput',
    '-1',
    '--payload-file',
    o.payloadFile,
    // One key for every record, as ours (one tenant → one key → one partition).
    '--key-distribution',
    'range',
    '--record-key-range',
    '1',
    '--command-property',
    ...Object.entries(o.props).map(([k, v]) => `${k}=${v}`),
  ];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) o.onStart?.(child.pid);
    let out = '';
    const keep = (b: Buffer) => {
      out += b.toString('utf8');
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    let lastCpu = NaN;
    // Sampled while it runs: /proc/<pid> is gone once it exited.
    const sampler = setInterval(() => {
      const c = processCpuMs(child.pid!);
      if (Number.isFinite(c)) lastCpu = c;
    }, 200);
    child.once('error', (e) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const lines = out.trim().split('\n');
      const steady = lines.find((l) => /steady state records sent/.test(l));
      const total = [...lines].reverse().find((l) => /^\d+ records sent, [\d.]+ records\/sec .*99\.9th/.test(l));
      const line = steady ?? total;
      const m = line ? /([\d.]+) records\/sec/.exec(line) : null;
      if (!m || !line) {
        return reject(
          new Error(
            `ProducerPerformance gave no summary (exit ${code}${Date.now() - started >= o.timeoutMs ? ', killed at the time limit' : ''}):\n${lines.slice(-10).join('\n')}`,
          ),
        );
      }
      resolve({
        recordsPerSec: Number(m[1]),
        line: line.trim(),
        cpuMs: lastCpu,
        wallMs: Date.now() - started,
        command: `java ${args.join(' ')}`,
      });
    });
  });
}

export interface KafkajsLoopResult {
  recordsPerSec: number;
  sends: number;
  records: number;
  durationS: number;
}

export interface KafkajsLoop {
  /** Sends for `seconds`, one send at a time. */
  run(seconds: number): Promise<KafkajsLoopResult>;
  close(): Promise<void>;
}

/**
 * A bare kafkajs producer, configured like ours (idempotent, acks=-1, one request in flight, default
 * partitioner, same key for every record, a request_id header), sending `perSend` records per send() in a
 * loop, one at a time.
 */
export async function kafkajsLoop(
  o: KafkaTarget & { key: string; values: string[]; perSend: number },
): Promise<KafkajsLoop> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [o.brokers], logLevel: logLevel.ERROR });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  // Records shaped like ours: tenant id key, the encoded event, a request_id header shared by the send.
  const batches = Array.from({ length: Math.max(1, Math.ceil(o.values.length / o.perSend)) + 1 }, (_, b) => {
    const headers = { request_id: randomUUID() };
    return Array.from({ length: o.perSend }, (_, i) => ({
      key: o.key,
      value: o.values[(b * o.perSend + i) % o.values.length]!,
      headers,
    }));
  });
  let n = 0;
  return {
    async run(seconds) {
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      let sends = 0;
      let records = 0;
      while (performance.now() < end) {
        const messages = batches[n++ % batches.length]!;
        await producer.send({ topic: o.topic, acks: -1, messages });
        sends += 1;
        records += messages.length;
      }
      const durationS = (performance.now() - t0) / 1000;
      return { sends, records, durationS, recordsPerSec: records / durationS };
    },
    close: () => producer.disconnect(),
  };
}
