// Bench child: the local runtime's HTTP API alone in its process (no consumers, no scheduler, no SPA),
// adapters built from the environment exactly as `npm start` builds them. Started by scripts/bench/run.ts.
import { Kafka, type Producer, type ProducerBatch } from 'kafkajs';
import { config } from '../../adapters/config';
import { createAdapters } from '../../adapters';
import { startLocalRuntime } from '../../local/runtime';
import { serveCommands } from './child';

// Instrumentation only: count what each Kafka sendBatch of the producer adapter carries (the adapter merges
// concurrent requests into one send; how much it merges explains the throughput). Patched before the
// adapters create their producer; the wrapper adds one call and two additions per send.
const sends = { calls: 0, messages: 0, ms: 0, maxMs: 0 };
const limiter = { calls: 0, ms: 0, maxMs: 0 };
const proto = Kafka.prototype as unknown as { producer: (this: Kafka, ...args: unknown[]) => Producer };
const originalProducer = proto.producer;
proto.producer = function (this: Kafka, ...args: unknown[]): Producer {
  const producer = originalProducer.apply(this, args);
  const sendBatch = producer.sendBatch.bind(producer);
  producer.sendBatch = (batch: ProducerBatch) => {
    sends.calls += 1;
    for (const t of batch.topicMessages ?? []) sends.messages += t.messages.length;
    const t0 = performance.now();
    const done = () => {
      const ms = performance.now() - t0;
      sends.ms += ms;
      sends.maxMs = Math.max(sends.maxMs, ms);
    };
    const p = sendBatch(batch);
    p.then(done, done);
    return p;
  };
  return producer;
};

// Experiments (BENCH_ABLATE=a,b; `npm run bench -- --ablate=a,b`): what a proposed change would be worth,
// measured before anyone writes it. Never on in a normal run.
const ablate = new Set((process.env.BENCH_ABLATE ?? '').split(',').filter(Boolean));
const known = ['no-rate-limit'];
for (const a of ablate)
  if (!known.includes(a)) throw new Error(`unknown BENCH_ABLATE "${a}"; known: ${known.join(', ')}`);
async function main(): Promise<void> {
  const adapters = createAdapters(config());
  if (ablate.has('no-rate-limit')) adapters.rateLimiter.take = async () => ({ allowed: true });
  // Time the rate limiter's Redis round-trip as the request sees it.
  const take = adapters.rateLimiter.take.bind(adapters.rateLimiter);
  adapters.rateLimiter.take = async (tenantId, events) => {
    const t0 = performance.now();
    try {
      return await take(tenantId, events);
    } finally {
      const ms = performance.now() - t0;
      limiter.calls += 1;
      limiter.ms += ms;
      limiter.maxMs = Math.max(limiter.maxMs, ms);
    }
  };
  const runtime = await startLocalRuntime(adapters, { port: 0, consumers: false, scheduler: false, web: false });
  serveCommands({
    url: runtime.url,
    stop: async () => {
      await runtime.stop();
      await adapters.close();
    },
    extra: () => ({
      sendBatchCalls: sends.calls,
      sendBatchMessages: sends.messages,
      sendBatchMs: sends.ms,
      sendBatchMaxMs: sends.maxMs,
      rateLimitCalls: limiter.calls,
      rateLimitMs: limiter.ms,
      rateLimitMaxMs: limiter.maxMs,
    }),
    resetExtra: () => {
      Object.assign(sends, { calls: 0, messages: 0, ms: 0, maxMs: 0 });
      Object.assign(limiter, { calls: 0, ms: 0, maxMs: 0 });
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`ingest-server failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
