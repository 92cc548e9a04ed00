// Builders for test data: raw events, MSK batches, HTTP calls.
import { randomUUID } from 'node:crypto';
import { encodeRawEvent, type RawEvent } from '../core/raw-event';
import { toMskEvent, type MskEvent } from '../core/msk-event';

export function rawEvent(
  tenant: { id: string; project: { id: string; slug: string } },
  over: Partial<RawEvent> = {},
): RawEvent {
  const now = Date.now();
  return {
    tenantId: tenant.id,
    projectId: tenant.project.id,
    project: tenant.project.slug,
    eventId: randomUUID(),
    eventType: 'signup',
    timestampMs: now,
    receivedAtMs: now,
    userId: 'u1',
    sessionId: null,
    properties: { plan: 'pro' },
    context: null,
    ...over,
  };
}

export function mskBatch(topic: string, values: (RawEvent | string)[], partition = 0, firstOffset = 0): MskEvent {
  return toMskEvent(
    values.map((v, i) => ({
      topic,
      partition,
      offset: firstOffset + i,
      timestamp: Date.now(),
      key: Buffer.from(typeof v === 'string' ? 'poison' : v.tenantId),
      value: Buffer.from(typeof v === 'string' ? v : encodeRawEvent(v)),
    })),
  );
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(
  baseUrl: string,
  path: string,
  opts: {
    method?: string;
    key?: string;
    json?: unknown;
    body?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {
    ...(opts.key ? { Authorization: `Bearer ${opts.key}` } : {}),
    ...opts.headers,
  };
  let body: string | Buffer | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['Content-Type'] ??= 'application/json';
  }
  const payload = body === undefined || typeof body === 'string' ? body : new Uint8Array(body);
  const res = await fetch(baseUrl + path, {
    method: opts.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    body: payload,
    // A redirect (the SSO routes answer 302) is the answer under test, never followed.
    redirect: 'manual',
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
