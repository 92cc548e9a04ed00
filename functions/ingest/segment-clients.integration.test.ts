// Segment-spec clients other than analytics-node, driven end to end against the running stack
// (docs/api.md#segment-compatible-ingest):
// - a raw client sending what the mobile SDKs and analytics-python send: the batch gzipped, under a
//   Content-Type that is not JSON (or none at all), with or without Content-Encoding;
// - the browser's analytics.js, which posts text/plain JSON with the writeKey in the body to the short paths
//   /v1/t, /v1/p, /v1/i, /v1/s, /v1/g, /v1/a and /v1/b.
// Every message answered as accepted must be in the raw store and in the metrics exactly once.
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { useTestEnv, eventually } from '../../test/harness';
import { call, type CallResult } from '../../test/builders';
import { storedEvents, type StoredEvent } from '../../test/reads';

const { env, runtime, tenant } = useTestEnv('segclients', { tenants: 1, runtime: true });
let writeKey: string;

beforeAll(async () => {
  writeKey = await env.createKey(tenant, ['ingest'], tenant.project.id);
});

const basic = () => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

/** A POST on a raw socket: exactly the headers given, no Content-Type added by a client library. */
function rawPost(path: string, body: Buffer, headers: Record<string, string>): Promise<CallResult> {
  const url = new URL(runtime.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            body: parsed,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function stored(eventType: string): Promise<StoredEvent[]> {
  return storedEvents(env.adapters.sql, tenant.id, { eventType });
}

async function countMetric(eventType: string): Promise<number> {
  const q = new URLSearchParams({
    event_type: eventType,
    metric: 'count',
    interval: '1m',
    from: new Date(Date.now() - 3_600_000).toISOString(),
  });
  const res = await call(runtime.url, `/v1/metrics?${q}`, { key: tenant.keys.read });
  expect(res.status).toBe(200);
  return (res.body.points as { value: number }[]).reduce((n, p) => n + p.value, 0);
}

/** Waits until the raw store holds `n` events of the type, then checks they are there once each and counted once. */
async function expectStoredOnce(eventType: string, messageIds: string[]) {
  await eventually(async () => ((await stored(eventType)).length >= messageIds.length ? true : undefined), 30_000, 200);
  await eventually(async () => ((await countMetric(eventType)) >= messageIds.length ? true : undefined), 30_000, 200);
  const rows = await stored(eventType);
  expect(rows.map((r) => r.event_id).sort()).toEqual([...messageIds].sort());
  expect(await countMetric(eventType)).toBe(messageIds.length);
}

const batchOf = (eventType: string, ids: string[]) => ({
  batch: ids.map((messageId, i) => ({
    type: 'track',
    event: eventType,
    userId: `u-${i}`,
    messageId,
    properties: { i },
    context: { library: { name: 'raw-test-client', version: '1' } },
    timestamp: new Date().toISOString(),
  })),
  sentAt: new Date().toISOString(),
});

describe('a raw Segment-spec client (as the mobile SDKs and analytics-python send)', () => {
  it('takes a gzipped batch under Content-Type application/octet-stream, "application/json, application/json" or none, with or without Content-Encoding', async () => {
    const variants: [string, Record<string, string>][] = [
      ['gzip, octet-stream', { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' }],
      // analytics-ios adds Content-Type to one its session already sets: some stacks join the two.
      ['gzip, doubled json', { 'Content-Type': 'application/json, application/json', 'Content-Encoding': 'gzip' }],
      ['gzip, no labels', {}],
      ['gzip, text/plain, no encoding', { 'Content-Type': 'text/plain' }],
    ];
    for (const [name, headers] of variants) {
      const eventType = `Raw ${name}`;
      const ids = Array.from({ length: 3 }, () => randomUUID());
      const res = await rawPost('/v1/batch', gzipSync(JSON.stringify(batchOf(eventType, ids))), {
        Authorization: basic(),
        'User-Agent': 'raw-test-client/1',
        ...headers,
      });
      expect({ name, status: res.status, body: res.body }).toMatchObject({
        name,
        status: 200,
        body: { success: true, accepted: 3, rejected: 0 },
      });
      await expectStoredOnce(eventType, ids);
    }
  });

  it('takes plain JSON without any Content-Type, and a UTF-8 byte order mark', async () => {
    const ids = [randomUUID(), randomUUID()];
    const plain = await rawPost('/v1/batch', Buffer.from(JSON.stringify(batchOf('Raw Unlabelled', ids.slice(0, 1)))), {
      Authorization: basic(),
    });
    expect(plain.status).toBe(200);
    const bom = await rawPost(
      '/v1/batch',
      Buffer.from('\uFEFF' + JSON.stringify(batchOf('Raw Unlabelled', ids.slice(1)))),
      { Authorization: basic(), 'Content-Type': 'application/json; charset=utf-8' },
    );
    expect(bom.status).toBe(200);
    await expectStoredOnce('Raw Unlabelled', ids);
  });

  it('still answers 415 for what is not JSON or not UTF-8, and bounds the decompressed size', async () => {
    const html = await rawPost('/v1/batch', Buffer.from('<x/>'), {
      Authorization: basic(),
      'Content-Type': 'text/html',
    });
    expect(html.status).toBe(415);
    expect(html.body.error.message).toContain('not JSON');
    const utf16 = await rawPost('/v1/track', Buffer.from(JSON.stringify({ userId: 'u', event: 'Utf16' }), 'utf16le'), {
      Authorization: basic(),
      'Content-Type': 'application/json; charset=utf-16',
    });
    expect(utf16.status).toBe(415);
    expect(utf16.body.error.message).toContain('UTF-8');
    const bomb = gzipSync(
      Buffer.from(
        JSON.stringify({
          batch: [{ type: 'track', userId: 'u', event: 'Bomb', properties: { s: 'x'.repeat(600 * 1024) } }],
        }),
      ),
    );
    const tooBig = await rawPost('/v1/batch', bomb, {
      Authorization: basic(),
      'Content-Type': 'application/octet-stream',
    });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    const over = await rawPost('/v1/batch', Buffer.alloc(env.config.limits.maxBodyBytes + 1, 0x20), {
      Authorization: basic(),
      'Content-Type': 'application/json',
    });
    expect(over.status).toBe(413);
  });

  it('refuses a message whose context or traits hold what cannot be stored, saying where, and keeps the good ones', async () => {
    const good = randomUUID();
    const res = await rawPost(
      '/v1/batch',
      gzipSync(
        JSON.stringify({
          batch: [
            { type: 'track', event: 'Raw Mixed', userId: 'u', messageId: good },
            { type: 'track', event: 'Raw Mixed', userId: 'u', context: { device: { name: 'a\ud800' } } },
            { type: 'identify', userId: 'u', traits: { ['n\u0000']: 1 } },
            { type: 'track', event: 'Raw\u202eMixed', userId: 'u' },
          ],
        }),
      ),
      { Authorization: basic(), 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 3 });
    const messages = (res.body.errors as { index: number; message: string }[]).map((e) => [e.index, e.message]);
    expect(messages[0]).toEqual([
      1,
      expect.stringContaining('context.device.name contains a lone UTF-16 surrogate (\\ud800)'),
    ]);
    expect(messages[1]).toEqual([2, expect.stringContaining('in traits contains a NUL character')]);
    expect(messages[2]).toEqual([
      3,
      expect.stringContaining('event contains an invisible or direction-changing character (U+202E)'),
    ]);
    await expectStoredOnce('Raw Mixed', [good]);
  });
});

describe('analytics.js (browser): text/plain JSON with the writeKey inside, on the short paths', () => {
  it('serves /v1/t, /v1/p, /v1/i, /v1/s, /v1/g, /v1/a and /v1/b like the long paths', async () => {
    const anonymousId = randomUUID();
    const ctx = {
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      page: { path: '/pricing' },
      userAgent: 'Mozilla/5.0',
    };
    const sends: [string, Record<string, unknown>, string][] = [
      ['/v1/t', { type: 'track', event: 'Short Track', properties: { plan: 'pro' } }, 'Short Track'],
      ['/v1/p', { type: 'page', name: 'Pricing', properties: { path: '/pricing' } }, '$page'],
      ['/v1/i', { type: 'identify', userId: 'short-user', traits: { email: 'a@example.com' } }, '$identify'],
      ['/v1/s', { type: 'screen', name: 'Home' }, '$screen'],
      ['/v1/g', { type: 'group', groupId: 'acme', traits: { name: 'Acme' } }, '$group'],
      ['/v1/a', { type: 'alias', userId: 'short-user', previousId: anonymousId }, '$alias'],
    ];
    for (const [path, message, eventType] of sends) {
      const messageId = `ajs-next-${randomUUID()}`;
      const body = JSON.stringify({
        ...message,
        anonymousId,
        messageId,
        context: ctx,
        timestamp: new Date().toISOString(),
        sentAt: new Date().toISOString(),
        writeKey,
      });
      // fetch with a string body and no Content-Type sends text/plain;charset=UTF-8, as analytics.js does.
      const res = await call(runtime.url, path, { body });
      expect({ path, status: res.status, body: res.body }).toMatchObject({
        path,
        status: 200,
        body: { success: true, accepted: 1 },
      });
      await expectStoredOnce(eventType, [messageId]);
    }
    const ids = [randomUUID(), randomUUID()];
    const batch = {
      batch: ids.map((messageId) => ({ type: 'track', event: 'Short Batch', anonymousId, messageId, context: ctx })),
      writeKey,
      sentAt: new Date().toISOString(),
    };
    const res = await call(runtime.url, '/v1/b', { body: JSON.stringify(batch) });
    expect(res.status).toBe(200);
    await expectStoredOnce('Short Batch', ids);
    const [row] = await stored('Short Batch');
    expect(row!.context).toMatchObject({ library: { name: 'analytics.js' } });
  });
});

describe('POST /v1/events contract fixes', () => {
  it('answers 403 forbidden_project to a project-bound key naming another project, 415 to charset=utf-16, and takes date-only timestamps as midnight UTC', async () => {
    const other = await env.createProject(tenant, 'other');
    const bound = await env.createKey(tenant, ['ingest'], other);
    const wrong = await call(runtime.url, '/v1/events', {
      key: bound,
      json: { events: [{ event_type: 'x', project: 'web' }, { event_type: 'x' }] },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toMatchObject({
      code: 'forbidden_project',
      details: [{ index: 0, code: 'forbidden_project' }],
    });
    const utf16 = await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      body: Buffer.from(JSON.stringify({ event_type: 'x', project: 'web' }), 'utf16le'),
      headers: { 'Content-Type': 'application/json; charset=UTF-16' },
    });
    expect(utf16.status).toBe(415);
    expect(utf16.body.error.code).toBe('unsupported_media_type');
    const today = new Date().toISOString().slice(0, 10);
    const dated = await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      json: { event_type: 'Date Only', project: 'web', timestamp: today },
    });
    expect(dated.status).toBe(202);
    const id = dated.body.event_ids[0] as string;
    const rows = await eventually(
      async () => {
        const r = await storedEvents(env.adapters.sql, tenant.id, { eventIds: [id] });
        return r.length > 0 ? r : undefined;
      },
      30_000,
      200,
    );
    expect(rows[0]!.ts.toISOString()).toBe(`${today}T00:00:00.000Z`);
  });
});
