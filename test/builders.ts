// Builders for test data: raw events, MSK batches, HTTP calls, principals, deliveries to the aggregate handler.
import { randomUUID } from 'node:crypto';
import { encodeRawEvent, type RawEvent } from '../core/raw-event';
import { toMskEvent, type MskEvent } from '../core/msk-event';
import type { Principal } from '../core/api-keys';
import type { Adapters } from '../adapters';
import { createAggregateHandler } from '../functions/aggregate/handler';

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

/** The principal of a whole-tenant API key with these scopes, for calling a query function directly. */
export const keyPrincipal = (tenantId: string, scopes: Principal['scopes']): Principal => ({
  tenantId,
  keyId: 'test',
  scopes,
  projectId: null,
  projectSlug: null,
});

/**
 * Hands events to the aggregate handler as records of partition 0 of `events_raw`, in batches of at most `size`; the
 * offsets continue from one call to the next, as a consumer would see them. `deps` is read at each call, so a test
 * file can make its delivery before its environment exists.
 */
export function aggregateDelivery(deps: () => Adapters): (events: RawEvent[], size?: number) => Promise<void> {
  let offset = 0;
  return async (events, size = events.length) => {
    const handler = createAggregateHandler(deps());
    for (let i = 0; i < events.length; i += size) {
      const batch = events.slice(i, i + size);
      const at = offset; // taken before the await: concurrent deliveries get distinct offsets
      offset += batch.length;
      await handler(mskBatch(deps().config.kafka.topics.eventsRaw, batch, 0, at));
    }
  };
}

/**
 * Requests the erasure of `person` in `projectIds` as the system would (no key or session: audit-logged as
 * person.erase by `system:<actor>`); returns the pending job.
 */
export async function requestSystemErasure(
  adapters: Pick<Adapters, 'erasures'>,
  q: { tenantId: string; person: string; projectIds: string[]; actor: string },
) {
  const { job } = await adapters.erasures.request(
    {
      tenantId: q.tenantId,
      id: randomUUID(),
      person: q.person,
      projectIds: q.projectIds,
      requestedBy: `system:${q.actor}`,
      nowMs: Date.now(),
    },
    (jobId) => ({
      tenantId: q.tenantId,
      atMs: Date.now(),
      actor: { kind: 'system', id: q.actor },
      action: 'person.erase',
      target: q.person,
      before: null,
      after: { job_id: jobId },
    }),
  );
  return job;
}
