// POST /v1/events (API Gateway HTTP API, payload v2).
import { httpHandler, json } from '../http/middleware';
import { header, jsonBody } from '../http/request';
import { authenticate } from '../http/auth';
import { acceptEvents } from './accept-events';
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';

export function createIngestHandler(deps: Adapters) {
  return httpHandler(async (event) => {
    const principal = await authenticate(deps.keys, event, 'ingest');
    const body = jsonBody(event, deps.config.limits.maxBodyBytes);
    const trace = { requestId: event.requestContext.requestId, traceparent: header(event, 'traceparent') };
    try {
      return json(202, await acceptEvents(deps, principal, body, trace));
    } finally {
      // After Kafka's ack (or the refusal): Lambda runs no timers between invocations, so catalog
      // registrations are written here, at most once per interval (nothing to do most of the time).
      await deps.catalog.flushIfDue();
    }
  });
}

export const handler = lazyHandler(() => createIngestHandler(processAdapters()));
