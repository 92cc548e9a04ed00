// Ingest: POST /v1/events and the Segment-spec endpoints (API Gateway HTTP API, payload v2).
import { httpHandler, json } from '../http/middleware';
import { routeRequests, type Route } from '../http/router';
import { acceptEvents, traceContext } from './accept-events';
import { segmentRoute } from './segment';
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import type { RouteKeyOf } from '../routes';

export const INGEST_ROUTES: Record<RouteKeyOf<'ingest'>, Route> = {
  'POST /v1/events': {
    auth: 'ingest',
    handle: async (deps, r) => {
      const body = r.body(deps.config.limits.maxBodyBytes);
      return json(202, await acceptEvents(deps, r.principal, body, traceContext(r.event)));
    },
  },
  'POST /v1/batch': segmentRoute('batch'),
  'POST /v1/track': segmentRoute('track'),
  'POST /v1/identify': segmentRoute('identify'),
  'POST /v1/page': segmentRoute('page'),
  'POST /v1/screen': segmentRoute('screen'),
  'POST /v1/group': segmentRoute('group'),
  'POST /v1/alias': segmentRoute('alias'),
  // The short paths analytics.js posts to: the first letter of the call, b for a batch.
  'POST /v1/t': segmentRoute('track'),
  'POST /v1/p': segmentRoute('page'),
  'POST /v1/i': segmentRoute('identify'),
  'POST /v1/s': segmentRoute('screen'),
  'POST /v1/g': segmentRoute('group'),
  'POST /v1/a': segmentRoute('alias'),
  'POST /v1/b': segmentRoute('batch'),
};

export function createIngestHandler(deps: Adapters) {
  const route = routeRequests(deps, INGEST_ROUTES);
  return httpHandler(async (event) => {
    try {
      return await route(event);
    } finally {
      // After Kafka's ack (or the refusal): Lambda runs no timers between invocations, so catalog
      // registrations are written here, at most once per interval (nothing to do most of the time).
      await deps.catalog.flushIfDue();
    }
  });
}

export const handler = lazyHandler(() => createIngestHandler(processAdapters()));
