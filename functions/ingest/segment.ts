// POST /v1/batch, /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias: the Segment HTTP Tracking API.
// Parse (spec limits, gzip, text/plain) → the write key (Basic auth, the body's writeKey, Bearer or X-Api-Key; the
// HTTP edge resolves it) → map each message (core/segment.ts) → the same acceptance path as POST /v1/events. 200
// {"success": true} as Segment answers; 400 only when nothing was accepted (the SDKs never retry a 400); 429/503 with
// Retry-After (they retry those).
import { json, type HttpResult } from '../http/middleware';
import type { AuthenticatedRequest, HttpRequest } from '../http/request';
import type { KeyedRoute } from '../http/router';
import { acceptChecked, traceContext } from './accept-events';
import { AppError, badRequest, forbidden } from '../../core/errors';
import {
  mapSegmentMessage,
  readSegmentBody,
  segmentCredentials,
  SEGMENT_MAX_BATCH_BYTES,
  type SegmentEndpoint,
} from '../../core/segment';
import { isPlainObject } from '../../core/event-validation';
import type { Adapters } from '../../adapters';

/** Bodies already parsed: the credential source reads the writeKey before the route reads the messages. */
const parsed = new WeakMap<HttpRequest, unknown>();

function segmentBody(deps: Adapters, request: HttpRequest): unknown {
  if (parsed.has(request)) return parsed.get(request);
  const maxBytes = Math.min(SEGMENT_MAX_BATCH_BYTES, deps.config.limits.maxBodyBytes);
  let body: unknown;
  try {
    body = request.body(maxBytes, { anyLabel: true });
  } catch (e) {
    // The spec answers an oversized request with 400, which its clients drop rather than retry. A body over
    // MAX_BODY_BYTES as it arrived is 413, as on every ingest route (the local gateway stops reading it there).
    if (e instanceof AppError && e.kind === 'too_large' && request.bodyLength() <= deps.config.limits.maxBodyBytes) {
      throw badRequest(
        'payload_too_large',
        `${e.message.replace(/; send fewer events per request\.$/, '')}: the limit is ${maxBytes} bytes per request (Segment: 500 KB per batch, 32 KB per message); send smaller batches.`,
      );
    }
    throw e;
  }
  parsed.set(request, body);
  return body;
}

/** The write key, from Basic auth, the body's writeKey, Bearer or X-Api-Key (one key, however many places carry it). */
function segmentKey(deps: Adapters, request: HttpRequest): string {
  const body = segmentBody(deps, request);
  return segmentCredentials(request.headers(), isPlainObject(body) ? body.writeKey : undefined);
}

async function acceptSegment(
  deps: Adapters,
  request: AuthenticatedRequest,
  endpoint: SegmentEndpoint,
): Promise<HttpResult> {
  const { principal } = request;
  const shape = readSegmentBody(segmentBody(deps, request), endpoint, deps.config.limits.maxEventsPerBatch);
  if (shape.kind !== 'ok') throw badRequest(shape.reason.code, shape.reason.message);
  const { messages, batch } = shape.value;
  if (!principal.projectId) {
    throw forbidden(
      'The Segment endpoints need a write key bound to a project (its events go there): create one with `customersignal key create --tenant <slug> --scope ingest --project <project>` or POST /v1/api-keys with "project".',
    );
  }
  const nowMs = deps.now();
  const limits = { ...deps.config.limits, retentionMs: await deps.retention.of(principal.tenantId) };
  const checks = messages.map((m, i) => mapSegmentMessage(m, i, endpoint, batch, nowMs, limits));
  return json(200, {
    success: true,
    ...(await acceptChecked(deps, principal, checks, nowMs, traceContext(request.event))),
  });
}

/** The route of one Segment endpoint: an ingest key, found where Segment's clients put it. */
export function segmentRoute(endpoint: SegmentEndpoint): KeyedRoute {
  return { auth: 'ingest', credential: segmentKey, handle: (deps, request) => acceptSegment(deps, request, endpoint) };
}
