// The SDK against the real service: local runtime, Kafka, Postgres and Redis.
import { build } from 'esbuild';
import { join } from 'node:path';
import { createTestEnv, useTestEnv, eventually } from '../test/harness';
import { call } from '../test/builders';
import { startLocalRuntime } from '../local/runtime';
import { launchBrowser } from '../frontend/e2e/browser';
import {
  CustomerSignal,
  EventsRejectedError,
  type CustomerSignalError,
  type CustomerSignalOptions,
  type EventPayload,
  type FetchLike,
} from './src';

const { runtime, tenant } = useTestEnv('sdk', { tenants: 1, runtime: true });

function newClient(
  over: Partial<CustomerSignalOptions> = {},
  target: { url: string; key: string } = { url: runtime.url, key: tenant.keys.ingest },
) {
  const errors: { error: CustomerSignalError; events: EventPayload[] }[] = [];
  const client = new CustomerSignal({
    apiKey: target.key,
    host: target.url,
    project: 'web',
    flushIntervalMs: 200,
    onError: (error, events) => void errors.push({ error, events }),
    ...over,
  });
  return { client, errors };
}

async function metricTotal(eventType: string, url = runtime.url, key = tenant.keys.read): Promise<number> {
  const res = await call(url, `/v1/metrics?event_type=${encodeURIComponent(eventType)}&metric=count&interval=1h`, {
    key,
  });
  expect(res.status).toBe(200);
  return (res.body.points as { value: number }[]).reduce((n, p) => n + p.value, 0);
}

async function waitForCount(eventType: string, expected: number, url?: string, key?: string): Promise<void> {
  let last = -1;
  try {
    await eventually(
      async () => ((last = await metricTotal(eventType, url, key)) === expected ? true : undefined),
      30_000,
      200,
    );
  } catch (e) {
    throw new Error(`${eventType}: expected a count of ${expected}, last saw ${last} (${(e as Error).message})`, {
      cause: e,
    });
  }
}

/** Every stored event_id of a type, following the explorer's cursor. */
async function storedIds(eventType: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { events: { event_id: string }[]; next_cursor: string | null } } = await call(
      runtime.url,
      `/v1/events?event_type=${encodeURIComponent(eventType)}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: tenant.keys.read },
    );
    expect(res.status).toBe(200);
    ids.push(...res.body.events.map((e) => e.event_id));
    cursor = res.body.next_cursor;
  } while (cursor);
  return ids;
}

/**
 * Events of one tenant share a Kafka partition (keyed by tenant id): once an event sent after everything
 * else is counted, every earlier copy — duplicates included — has been processed too.
 */
let barriers = 0;
async function barrier(): Promise<void> {
  const type = `sdk_barrier_${++barriers}`;
  const { client } = newClient();
  client.track(type);
  await client.shutdown();
  await waitForCount(type, 1);
}

const realFetch: FetchLike = (url, init) => fetch(url, init);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('tracks 250 events of two types; after shutdown() the metrics count them exactly and the explorer lists their ids', async () => {
  const { client, errors } = newClient({ flushAt: 100 });
  const ids: Record<string, string[]> = { sdk_page_view: [], sdk_signup: [] };
  for (let i = 0; i < 250; i++) {
    const type = i % 5 < 3 ? 'sdk_page_view' : 'sdk_signup';
    ids[type]!.push(client.track(type, { i, path: `/p/${i % 7}` }, { userId: `u${i % 13}` }));
    if (i % 60 === 59) await sleep(20); // let some batches go out while tracking continues
  }
  await client.shutdown();

  expect(errors).toEqual([]);
  expect(client.stats).toMatchObject({
    queued: 0,
    inFlight: 0,
    accepted: 250,
    rejected: 0,
    failed: 0,
    dropped: 0,
    retries: 0,
  });
  expect(client.stats.requests).toBeGreaterThanOrEqual(2); // the first at flushAt = 100; the rest queue up behind it (one request in flight)
  expect(() => client.track('sdk_page_view')).toThrow(/shut down/);

  await waitForCount('sdk_page_view', 150);
  await waitForCount('sdk_signup', 100);
  expect((await storedIds('sdk_page_view')).sort()).toEqual([...ids.sdk_page_view!].sort());
  expect((await storedIds('sdk_signup')).sort()).toEqual([...ids.sdk_signup!].sort());
});

it('retries a batch whose answer was lost after the server accepted it (error, then timeout) without double counting', async () => {
  const bodies: string[] = [];
  const sabotaging: FetchLike = async (url, init) => {
    bodies.push(init.body);
    const res = await realFetch(url, init); // the server accepts and acknowledges the batch…
    const n = bodies.length;
    if (n === 1) throw new TypeError('fetch failed (simulated: connection reset after the server answered)');
    if (n === 2) await sleep(2_000); // …and this answer arrives after the SDK's timeout
    return res;
  };
  const { client, errors } = newClient({ fetch: sabotaging, flushAt: 40, timeoutMs: 1_000 });
  const ids = Array.from({ length: 40 }, (_, i) => client.track('sdk_retried', { i }));
  await client.shutdown();

  expect(errors).toEqual([]);
  expect(client.stats).toMatchObject({ accepted: 40, requests: 3, retries: 2, failed: 0 });
  expect(bodies[1]).toBe(bodies[0]); // byte for byte: same event_ids, same timestamps
  expect(bodies[2]).toBe(bodies[0]);

  await waitForCount('sdk_retried', 40);
  await barrier();
  expect(await metricTotal('sdk_retried')).toBe(40);
  expect((await storedIds('sdk_retried')).sort()).toEqual([...ids].sort());
});

it('reports an invalid event to onError with its index and code and stores the rest; an all-invalid batch too', async () => {
  const { client, errors } = newClient({ flushAt: 1000 });
  const good = [client.track('sdk_valid', { n: 1 }), client.track('sdk_valid', { n: 2 })];
  const bad = client.track('$sdk_reserved', { n: 3 });
  good.push(client.track('sdk_valid', { n: 4 }));
  await client.flush();

  expect(errors).toHaveLength(1);
  const err = errors[0]!.error as EventsRejectedError;
  expect(err).toBeInstanceOf(EventsRejectedError);
  expect(err.status).toBe(202);
  expect(err.requestId).toMatch(/[0-9a-f-]{36}/);
  expect(err.rejections).toEqual([
    {
      index: 2,
      code: 'invalid_event',
      message: expect.stringContaining('reserved'),
      event: expect.objectContaining({ event_id: bad, event_type: '$sdk_reserved' }),
    },
  ]);
  expect(errors[0]!.events.map((e) => e.event_id)).toEqual([bad]);

  // A batch in which nothing is valid: 400 no_events_accepted, reported the same way, not retried.
  const unknownProject = client.track('sdk_valid', {}, { project: 'no-such-project' });
  await client.shutdown();
  expect(errors).toHaveLength(2);
  const all = errors[1]!.error as EventsRejectedError;
  expect(all).toBeInstanceOf(EventsRejectedError);
  expect(all.status).toBe(400);
  expect(all.rejections).toEqual([
    {
      index: 0,
      code: 'unknown_project',
      message: expect.any(String),
      event: expect.objectContaining({ event_id: unknownProject }),
    },
  ]);
  expect(client.stats).toMatchObject({ accepted: 3, rejected: 2, failed: 0, requests: 2 });

  await waitForCount('sdk_valid', 3);
  expect((await storedIds('sdk_valid')).sort()).toEqual([...good].sort());
});

it('splits a batch the server answers with 413 and delivers both halves', async () => {
  // 60 events of ~25 KB (under the 32 KB properties limit) ≈ 1.5 MB: over the 1 MiB body limit, each half under it.
  const { client, errors } = newClient({ flushAt: 1000, maxBatchBytes: 5_000_000 });
  const ids = Array.from({ length: 60 }, (_, i) => client.track('sdk_big', { i, pad: 'x'.repeat(25_000) }));
  await client.shutdown();
  expect(errors.map((e) => `${e.error.code}: ${e.error.message}`)).toEqual([]);
  expect(client.stats).toMatchObject({ accepted: 60, failed: 0, requests: 3 });
  await waitForCount('sdk_big', 60);
  expect((await storedIds('sdk_big')).sort()).toEqual([...ids].sort());
});

it('backs off on 429 rate_limited, honouring Retry-After, until every event is accepted', async () => {
  const limited = await createTestEnv('sdkrate', {
    RATE_LIMIT_EVENTS_PER_SECOND: '100',
    RATE_LIMIT_BURST: '50',
    MAX_EVENTS_PER_BATCH: '50',
  });
  const rt = await startLocalRuntime(limited.adapters, { port: 0, web: false, scheduler: false });
  try {
    const t = await limited.createTenant();
    const statuses: number[] = [];
    const retryAfters: (string | null)[] = [];
    const observing: FetchLike = async (url, init) => {
      const res = await realFetch(url, init);
      statuses.push(res.status);
      retryAfters.push(res.headers.get('retry-after'));
      return res;
    };
    const { client, errors } = newClient(
      { fetch: observing, flushAt: 50, maxBatchSize: 50 },
      { url: rt.url, key: t.keys.ingest },
    );
    const started = Date.now();
    for (let i = 0; i < 250; i++) client.track('sdk_limited', { i });
    await client.shutdown();
    const took = Date.now() - started;

    expect(errors).toEqual([]);
    expect(statuses).toContain(429);
    expect(retryAfters[statuses.indexOf(429)]).toMatch(/^\d+$/);
    expect(client.stats).toMatchObject({ accepted: 250, failed: 0 });
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(took).toBeGreaterThanOrEqual(1_500); // 200 events beyond the burst at 100/s, waited out via Retry-After
    await waitForCount('sdk_limited', 250, rt.url, t.keys.read);
  } finally {
    await rt.stop();
    await limited.cleanup();
  }
});

it('works in a browser (Chromium): bundled with esbuild, CORS preflight, events counted', async () => {
  const bundle = await build({
    entryPoints: [join(__dirname, 'src', 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'CS',
    write: false,
    logLevel: 'silent',
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${runtime.url}/healthz`); // any page of another origin than the API's would do; this one is same-host
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    // Cross-origin on purpose: the page is on 127.0.0.1, the SDK talks to localhost → CORS with a preflight.
    const apiUrl = runtime.url.replace('127.0.0.1', 'localhost');
    const result = await page.evaluate(
      async ({ host, apiKey }) => {
        const w = window as unknown as { CS: typeof import('./src') };
        const errors: string[] = [];
        const client = new w.CS.CustomerSignal({
          apiKey,
          host,
          project: 'web',
          flushAt: 10,
          onError: (e) => void errors.push(`${e.code}: ${e.message}`),
        });
        const ids = Array.from({ length: 25 }, (_, i) => client.track('sdk_browser', { i }));
        await client.shutdown();
        return { ids, errors, stats: client.stats };
      },
      { host: apiUrl, apiKey: tenant.keys.ingest },
    );
    expect(result.errors).toEqual([]);
    expect(result.stats).toMatchObject({ accepted: 25, failed: 0 });
    await waitForCount('sdk_browser', 25);
    expect((await storedIds('sdk_browser')).sort()).toEqual([...result.ids].sort());
  } finally {
    await browser.close();
  }
});
