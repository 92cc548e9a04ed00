// POST /v1/events and the Segment-spec endpoints (API Gateway HTTP API, payload v2).
import { httpHandler, json, type HttpEvent, type HttpResult } from '../http/middleware';
import { jsonBody } from '../http/request';
import { authenticate } from '../http/auth';
import { acceptEvents, traceContext } from './accept-events';
import { acceptSegment } from './segment';
import { lazyHandler, processAdapters } from '../process-adapters';
import { notFound } from '../../core/errors';
import type { Adapters } from '../../adapters';
import type { RouteKeyOf } from '../routes';

type Route = (deps: Adapters, event: HttpEvent) => Promise<HttpResult>;

export const INGEST_ROUTES: Record<RouteKeyOf<'ingest'>, Route> = {
  'POST /v1/events': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'ingest');
    const body = jsonBody(event, deps.config.limits.maxBodyBytes);
    return json(202, await acceptEvents(deps, principal, body, traceContext(event)));
  },
  'POST /v1/batch': (deps, event) => acceptSegment(deps, event, 'batch'),
  'POST /v1/track': (deps, event) => acceptSegment(deps, event, 'track'),
  'POST /v1/identify': (deps, event) => acceptSegment(deps, event, 'identify'),
  'POST /v1/page': (deps, event) => acceptSegment(deps, event, 'page'),
  'POST /v1/screen': (deps, event) => acceptSegment(deps, event, 'screen'),
  'POST /v1/group': (deps, event) => acceptSegment(deps, event, 'group'),
  'POST /v1/alias': (deps, event) => acceptSegment(deps, event, 'alias'),
  // The short paths analytics.js posts to: the first letter of the call, b for a batch.
  'POST /v1/t': (deps, event) => acceptSegment(deps, event, 'track'),
  'POST /v1/p': (deps, event) => acceptSegment(deps, event, 'page'),
  'POST /v1/i': (deps, event) => acceptSegment(deps, event, 'identify'),
  'POST /v1/s': (deps, event) => acceptSegment(deps, event, 'screen'),
  'POST /v1/g': (deps, event) => acceptSegment(deps, event, 'group'),
  'POST /v1/a': (deps, event) => acceptSegment(deps, event, 'alias'),
  'POST /v1/b': (deps, event) => acceptSegment(deps, event, 'batch'),
};

export function createIngestHandler(deps: Adapters) {
  return httpHandler(async (event) => {
    const routes = INGEST_ROUTES as Record<string, Route>;
    const route = routes[event.routeKey] ?? routes[`${event.requestContext.http.method} ${event.rawPath}`];
    if (!route) throw notFound(`No route ${event.requestContext.http.method} ${event.rawPath}; see GET /v1/openapi.json.`);
    try {
      return await route(deps, event);
    } finally {
      // After Kafka's ack (or the refusal): Lambda runs no timers between invocations, so catalog
      // registrations are written here, at most once per interval (nothing to do most of the time).
      await deps.catalog.flushIfDue();
    }
  });
}

export const handler = lazyHandler(() => createIngestHandler(processAdapters()));
