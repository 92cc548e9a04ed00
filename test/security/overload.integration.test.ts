// Overload: offered load far above capacity for a bounded time (OVERLOAD_SECONDS, default 10 here; 60 with
// `npm run test:overload`) against the local runtime in its own process. Only 202, 429 or 503 (the last two with
// Retry-After); admitted requests answered within a bound (p99 reported); the server's RSS bounded; and full
// recovery afterwards: a normal request is accepted and the consumer stores every accepted event.
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestEnv, eventually, type TestTenant } from '../harness';
import { call } from '../builders';
import { childEnv, ROOT } from '../child-process';
import { storedEventCount } from '../reads';

const SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 10);
const RATE = 1000; // events per second per tenant
const BATCH = 50;
const P99_LIMIT_MS = Number(process.env.OVERLOAD_P99_LIMIT_MS ?? 5_000);
const PEAK_RSS_LIMIT_MB = 1_024;
const HOT_CONNECTIONS = 48;
const BULK_CONNECTIONS = 16;

let child: ChildProcess;
let url = '';
// hot: many connections, one event per request; bulk: fewer connections, 50-event batches.
const {
  env,
  tenants: [hot, bulk],
} = useTestEnv('overload', {
  overrides: { RATE_LIMIT_EVENTS_PER_SECOND: String(RATE), RATE_LIMIT_BURST: String(RATE) },
  tenants: 2,
  beforeCleanup: async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    child?.removeAllListeners();
    child?.channel?.unref();
  },
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

beforeAll(async () => {
  child = fork(join(__dirname, 'overload-server.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: childEnv(env.config, {
      PORT: '0',
      RATE_LIMIT_EVENTS_PER_SECOND: String(RATE),
      RATE_LIMIT_BURST: String(RATE),
      LOG_LEVEL: 'ERROR',
    }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('overload server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`overload server exited with ${code}`)));
    child.on('message', (m: { type?: string; url?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.url!);
      }
    });
  });
}, 120_000);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

it(
  `sheds ${SECONDS} s of load above capacity with 202/429/503 only, bounded latency and memory, and recovers`,
  async () => {
    const pid = child.pid!;
    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 250);

    const latency = new Map<number, number[]>();
    const track = (instance: autocannon.Instance) =>
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
        if (!latency.has(statusCode)) latency.set(statusCode, []);
        latency.get(statusCode)!.push(ms);
      });
    const load = (tenant: TestTenant, connections: number, events: number) =>
      autocannon({
        url,
        connections,
        duration: SECONDS,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/events',
            headers: { Authorization: `Bearer ${tenant.keys.ingest}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({
              events: Array.from({ length: events }, (_, i) => ({
                event_type: 'overload',
                project: 'web',
                user_id: `u${i}`,
                properties: { i },
              })),
            }),
          },
        ],
      });
    const hotRun = load(hot, HOT_CONNECTIONS, 1);
    const bulkRun = load(bulk, BULK_CONNECTIONS, BATCH);
    track(hotRun as unknown as autocannon.Instance);
    track(bulkRun as unknown as autocannon.Instance);

    // Alongside: every refusal carries Retry-After.
    const refusals: { status: number; retryAfter: string | null }[] = [];
    let probeAccepted = 0;
    const deadline = Date.now() + SECONDS * 1000;
    const probe = (async () => {
      while (Date.now() < deadline - 500) {
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${hot.keys.ingest}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ event_type: 'overload', project: 'web' }),
        });
        await res.arrayBuffer();
        if (res.status !== 202) refusals.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
        else probeAccepted++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const [h, b] = await Promise.all([hotRun, bulkRun, probe]);
    clearInterval(sampler);
    const rssAfterLoad = rssMb(pid);

    const statuses: Record<string, number> = {};
    for (const r of [h, b])
      for (const [code, v] of Object.entries(r.statusCodeStats ?? {}))
        statuses[code] = (statuses[code] ?? 0) + (v as { count: number }).count;
    const admitted = latency.get(202) ?? [];
    const p99 = percentile(admitted, 99);
    const offered = h.requests.total + b.requests.total * BATCH;
    const acceptedEvents = (h.statusCodeStats?.['202' as never] as { count: number } | undefined)?.count ?? 0;
    const acceptedBulk = ((b.statusCodeStats?.['202' as never] as { count: number } | undefined)?.count ?? 0) * BATCH;
    const acceptedProbe = probeAccepted;

    // Recovery: once the bucket refills, a normal request is accepted at once.
    await new Promise((r) => setTimeout(r, 1_500));
    const normal = await call(url, '/v1/events', {
      key: hot.keys.ingest,
      json: { event_type: 'after_overload', project: 'web' },
    });
    const expected = { [hot.id]: acceptedEvents + acceptedProbe + 1, [bulk.id]: acceptedBulk };
    const caughtUpStarted = Date.now();
    let got: Record<string, number> = {};
    process.stdout.write(
      `overload: expecting ${JSON.stringify(expected)} stored; statuses so far ${JSON.stringify(h.statusCodeStats)} / ${JSON.stringify(b.statusCodeStats)}\n`,
    );
    await eventually(
      async () => {
        got = {
          [hot.id]: await storedEventCount(env.adapters.sql, hot.id),
          [bulk.id]: await storedEventCount(env.adapters.sql, bulk.id),
        };
        return (got[hot.id] ?? 0) >= expected[hot.id]! && (got[bulk.id] ?? 0) >= expected[bulk.id]! ? true : undefined;
      },
      120_000,
      500,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: stored ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    });
    const catchUpS = (Date.now() - caughtUpStarted) / 1000;
    // autocannon counts the answers inside its window: requests still in flight when it stopped were accepted too
    // (at most one per connection); nothing beyond that, and nothing lost.
    expect(got[hot.id]).toBeLessThanOrEqual(expected[hot.id]! + HOT_CONNECTIONS);
    expect(got[bulk.id]).toBeLessThanOrEqual(expected[bulk.id]! + BULK_CONNECTIONS * BATCH);
    const rssEnd = rssMb(pid);

    process.stdout.write(
      `overload (${SECONDS} s): ${h.requests.total + b.requests.total} requests (${offered} events offered, ${(offered / SECONDS).toFixed(0)} ev/s vs ${2 * RATE} ev/s admitted capacity); ` +
        `statuses ${JSON.stringify(statuses)}; errors ${h.errors + b.errors}, timeouts ${h.timeouts + b.timeouts}; ` +
        `admitted latency p50 ${percentile(admitted, 50)} ms, p99 ${p99} ms, max ${percentile(admitted, 100)} ms; refused p99 ${percentile([...(latency.get(429) ?? []), ...(latency.get(503) ?? [])], 99)} ms; ` +
        `server RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} → ${rssAfterLoad.toFixed(0)} MB (end ${rssEnd.toFixed(0)} MB); ` +
        `recovery: normal request ${normal.status}, consumer stored all ${(got[hot.id] ?? 0) + (got[bulk.id] ?? 0)} accepted events ${catchUpS.toFixed(1)} s after the load\n`,
    );

    expect(Object.keys(statuses).filter((s) => !['202', '429', '503'].includes(s))).toEqual([]);
    expect(statuses['429'] ?? 0).toBeGreaterThan(0); // the load really was above capacity
    expect(refusals.filter((r) => !r.retryAfter)).toEqual([]);
    expect(h.errors + b.errors).toBe(0);
    expect(h.timeouts + b.timeouts).toBe(0);
    expect(admitted.length).toBeGreaterThan(0);
    expect(p99).toBeLessThan(P99_LIMIT_MS);
    expect(rssPeak).toBeLessThan(PEAK_RSS_LIMIT_MB);
    expect(normal.status).toBe(202);
  },
  SECONDS * 1000 + 300_000,
);
