// The log context of an invocation stays in it: in the local runtime many requests and consumer batches run at once
// in one process, and a consumer batch's lines once carried the route, tenant and request id of an ingest request
// that happened to run at the same time (adapters/logger.ts keeps each invocation's keys in its own async context).
import { useTestEnv, eventually } from '../test/harness';
import { call } from '../test/builders';
import { captureOutput, parseLogLine } from '../test/capture-output';
import { hostKafkaFunction } from './consumers';
import { logger } from '../adapters/logger';
import type { RunningConsumerGroup } from '../adapters/kafka/consumer-group';

type LogLine = NonNullable<ReturnType<typeof parseLogLine>>;

let consumer: RunningConsumerGroup | undefined;
const lines: LogLine[] = [];
let stopCapture: (() => void) | undefined;

/** Resolves when `count` arrivals were counted. */
function meeting(count: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    opened,
    arrive() {
      if (++arrived === count) open();
      return opened;
    },
  };
}

const requestsWaiting = meeting(2);
const batchLogged = meeting(1);

beforeAll(() => {
  stopCapture = captureOutput((line) => {
    const parsed = parseLogLine(line);
    if (parsed) lines.push(parsed);
  });
});
// Declared before the world: the consumer this file hosts stops before the runtime does.
afterAll(async () => {
  await consumer?.stop();
});
const { env, runtime, tenants } = useTestEnv('logcontext', {
  tenants: 2,
  runtime: { consumers: false },
  adapters: (env) => {
    // The rate limiter is where a request waits (tenant and key known) until the batch has logged, then fails: ingest
    // admits the request and logs a warning in the request's context.
    const rateLimiter = {
      ...env.adapters.rateLimiter,
      take: async () => {
        await requestsWaiting.arrive();
        await batchLogged.opened;
        throw new Error('rate limiter down (test)');
      },
    };
    return { ...env.adapters, rateLimiter };
  },
});
afterAll(() => {
  stopCapture?.();
});

// What a request's lines carry: its own keys and, as in Lambda, its invocation's (function name, request id).
const REQUEST_KEYS = ['request_id', 'route', 'tenant_id', 'key_id', 'function_name', 'function_request_id'];

it("keeps a request's keys out of a concurrent consumer batch's lines, and the batch's out of the request's", async () => {
  const topic = env.config.kafka.topics.eventsDlq; // one partition
  const groupId = `logcontext_${env.runId}`;
  let attempts = 0;
  consumer = await hostKafkaFunction(env.config.kafka, {
    groupId,
    topic,
    batchSize: 10,
    bootstrapServers: env.config.kafka.brokers.join(','),
    handler: async () => {
      if (++attempts > 1) return;
      // The first attempt runs while both requests are in flight, logs, and fails (the consumer logs its retry).
      await requestsWaiting.opened;
      logger.warn('test batch handler ran');
      setTimeout(() => void batchLogged.arrive(), 300);
      throw new Error('simulated batch failure');
    },
  });
  const event = { event_type: 'order', project: 'web' };
  const responses = Promise.all(
    tenants.map((t) => call(runtime.url, '/v1/events', { key: t.keys.ingest, json: event })),
  );
  await env.adapters.log.send(topic, [{ key: 'k', value: 'v' }]);
  const results = await responses;
  expect(results.map((r) => r.status)).toEqual([202, 202]);
  await eventually(async () => (attempts >= 2 ? true : undefined), 30_000);

  const batchLines = lines.filter(
    (l) => l.message === 'test batch handler ran' || l.message === 'batch failed; retrying',
  );
  const requestLines = lines.filter((l) => l.message === 'rate limiter unavailable; admitting the request');
  expect(batchLines.map((l) => l.message).sort()).toEqual(['batch failed; retrying', 'test batch handler ran']);
  for (const l of batchLines) {
    expect(REQUEST_KEYS.filter((k) => k in l)).toEqual([]);
    expect(l).toMatchObject({ consumer_group: groupId, topic, partition: 0 });
  }
  expect(requestLines).toHaveLength(2);
  for (const [i, t] of tenants.entries()) {
    const requestId = results[i]!.headers.get('x-request-id');
    const own = requestLines.filter((l) => l.request_id === requestId);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({
      route: 'POST /v1/events',
      tenant_id: t.id,
      function_name: 'ingest',
      function_request_id: requestId,
    });
    expect(Object.keys(own[0]!)).not.toContain('consumer_group');
  }
}, 60_000);
