// The acceptance path of core/ingest.ts wired to this process's adapters, and the trace context of an HTTP request.
import { currentXrayTraceId } from '../../adapters/aws/xray';
import type { HttpEvent } from '../http/middleware';
import { header } from '../http/request';
import {
  acceptBody,
  acceptValidated,
  type IngestOutcome,
  type IngestPorts,
  type IngestSettings,
  type TraceContext,
} from '../../core/ingest';
import type { EventCheck } from '../../core/event-validation';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import { createRawEventLog } from '../../adapters/kafka/raw-event-log';
import { logger } from '../../adapters/logger';

type Deps = Pick<Adapters, 'config' | 'projects' | 'log' | 'rateLimiter' | 'catalog' | 'retention' | 'now'>;

/** The trace context of an ingest request: its request id, the client's traceparent, the invocation's X-Ray id. */
export function traceContext(event: HttpEvent, xrayTraceId = currentXrayTraceId()): TraceContext {
  return {
    requestId: event.requestContext.requestId,
    traceparent: header(event, 'traceparent'),
    ...(xrayTraceId && { xrayTraceId }),
  };
}

function ports(deps: Deps): IngestPorts {
  return {
    projects: deps.projects,
    catalog: deps.catalog,
    rateGate: deps.rateLimiter,
    retention: deps.retention,
    events: createRawEventLog(deps.log, deps.config.kafka.topics.eventsRaw),
    now: deps.now,
    rateGateFailed: (e) => logger.warn('rate limiter unavailable; admitting the request', { error: e as Error }),
  };
}

const settings = (deps: Deps): IngestSettings => ({
  limits: deps.config.limits,
  catalog: deps.config.catalog,
  eventsPerSecond: deps.config.rateLimit.eventsPerSecond,
});

/** POST /v1/events: a parsed body of one event or {"events": [...]}. */
export function acceptEvents(
  deps: Deps,
  principal: Principal,
  body: unknown,
  trace: TraceContext,
): Promise<IngestOutcome> {
  return acceptBody(ports(deps), settings(deps), principal, body, trace);
}

/** The Segment endpoints: messages already mapped to validated events. */
export function acceptChecked(
  deps: Deps,
  principal: Principal,
  checks: EventCheck[],
  nowMs: number,
  trace: TraceContext,
): Promise<IngestOutcome> {
  return acceptValidated(ports(deps), settings(deps), principal, checks, nowMs, trace);
}
