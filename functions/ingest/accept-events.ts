// Accepting a body of events: validation, project resolution, the catalog's checks, and the durable write to events_raw.
import { currentXrayTraceId } from '../../adapters/aws/xray';
import type { HttpEvent } from '../http/middleware';
import { header } from '../http/request';
import { readBodyShape, validateEvent, type EventCheck, type EventRejection, type ValidEvent } from '../../core/event-validation';
import { CatalogPlan } from '../../core/catalog';
import { encodeRawEvent, type RawEvent } from '../../core/raw-event';
import { badRequest, forbidden, rateLimited, tooLarge, unavailable } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import { ProducerUnavailableError, RecordTooLargeError } from '../../adapters/kafka/producer';
import { logger } from '../../adapters/logger';

export interface IngestOutcome {
  accepted: number;
  rejected: number;
  event_ids: (string | null)[];
  errors: EventRejection[];
}

type Deps = Pick<Adapters, 'config' | 'projects' | 'log' | 'rateLimiter' | 'catalog' | 'retention' | 'now'>;

/** Carried in Kafka headers so consumer logs (and traces) can be joined to the request. */
export interface TraceContext {
  requestId: string;
  /** W3C trace context sent by the client. */
  traceparent?: string;
  /** The Lambda invocation's X-Ray trace header (`Root=1-…;Parent=…;Sampled=…`), in AWS only. */
  xrayTraceId?: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const XRAY_TRACE = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;[A-Za-z]+=[0-9A-Za-z?-]{1,64}){0,8}$/;

/** The trace context of an ingest request: its request id, the client's traceparent, the invocation's X-Ray id. */
export function traceContext(event: HttpEvent, xrayTraceId = currentXrayTraceId()): TraceContext {
  return { requestId: event.requestContext.requestId, traceparent: header(event, 'traceparent'), ...(xrayTraceId && { xrayTraceId }) };
}

export function traceHeaders(trace: TraceContext): Record<string, string> {
  return {
    request_id: trace.requestId,
    ...(trace.traceparent && TRACEPARENT.test(trace.traceparent) ? { traceparent: trace.traceparent } : {}),
    ...(trace.xrayTraceId && XRAY_TRACE.test(trace.xrayTraceId) ? { 'x-amzn-trace-id': trace.xrayTraceId } : {}),
  };
}

/** The whole batch fits the tenant's rate or none of it is taken. Redis trouble must not stop ingest. */
async function checkRate(deps: Deps, tenantId: string, events: number): Promise<void> {
  let decision;
  try {
    decision = await deps.rateLimiter.take(tenantId, events);
  } catch (e) {
    logger.warn('rate limiter unavailable; admitting the request', { error: e as Error });
    return;
  }
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw rateLimited(`This tenant sends more than ${deps.config.rateLimit.eventsPerSecond} events/s; retry after ${seconds} s (the whole batch was refused).`, seconds);
  }
}

async function resolveProject(deps: Deps, principal: Principal, e: ValidEvent): Promise<{ id: string; slug: string } | EventRejection> {
  if (principal.projectId && principal.projectSlug) {
    if (e.project !== null && e.project !== principal.projectSlug) {
      return { index: e.index, code: 'forbidden_project', message: `this key is bound to project "${principal.projectSlug}"; it cannot write to "${e.project}"` };
    }
    return { id: principal.projectId, slug: principal.projectSlug };
  }
  if (e.project === null) return { index: e.index, code: 'invalid_event', message: 'project is required: the slug of one of your projects' };
  const project = await deps.projects.bySlug(principal.tenantId, e.project);
  if (!project) return { index: e.index, code: 'unknown_project', message: `project "${e.project}" does not exist; create it first (projects are never created implicitly)` };
  return { id: project.id, slug: project.slug };
}

export async function acceptEvents(deps: Deps, principal: Principal, body: unknown, trace: TraceContext): Promise<IngestOutcome> {
  const limits = { ...deps.config.limits, retentionMs: await deps.retention.of(principal.tenantId) };
  const shape = readBodyShape(body, limits.maxEventsPerBatch);
  if (!shape.ok) throw badRequest(shape.code, shape.message);
  if (shape.tenantIds.some((t) => t !== undefined && t !== principal.tenantId)) {
    throw forbidden('tenant_id names another tenant; the tenant always comes from the API key, so leave tenant_id out.');
  }
  const nowMs = deps.now();
  return acceptChecked(deps, principal, shape.events.map((raw, index) => validateEvent(raw, index, nowMs, limits)), nowMs, trace);
}

/**
 * The acceptance path shared by POST /v1/events and the Segment endpoints, from validated events on: project,
 * catalog, rate limit, and the durable write (answered only after Kafka has every accepted event).
 */
export async function acceptChecked(deps: Deps, principal: Principal, checks: EventCheck[], nowMs: number, trace: TraceContext): Promise<IngestOutcome> {
  const eventIds: (string | null)[] = checks.map(() => null);
  const errors: EventRejection[] = [];
  const accepted: RawEvent[] = [];
  // One catalog plan per project of the request: the only await is the first, cached, load of a project's catalog.
  const plans = new Map<string, CatalogPlan>();
  // A project-bound key naming another project is refused whole with 403, like a tenant_id of another tenant.
  const forbiddenProjects: EventRejection[] = [];
  for (const [index, check] of checks.entries()) {
    if (!check.ok) {
      errors.push(check.rejection);
      continue;
    }
    const project = await resolveProject(deps, principal, check.event);
    if ('code' in project) {
      if (project.code === 'forbidden_project') forbiddenProjects.push(project);
      errors.push(project);
      continue;
    }
    const e = check.event;
    let plan = plans.get(project.id);
    if (!plan) {
      plan = new CatalogPlan(await deps.catalog.snapshot(principal.tenantId, project.id), deps.config.catalog, project.slug);
      plans.set(project.id, plan);
    }
    const schemaRejection = plan.check(e, nowMs);
    if (schemaRejection) {
      errors.push(schemaRejection);
      continue;
    }
    accepted.push({
      tenantId: principal.tenantId,
      projectId: project.id,
      project: project.slug,
      eventId: e.eventId,
      eventType: e.eventType,
      timestampMs: e.timestampMs,
      receivedAtMs: nowMs,
      userId: e.userId,
      sessionId: e.sessionId,
      properties: e.properties,
      context: e.context,
    });
    eventIds[index] = e.eventId;
  }
  if (forbiddenProjects.length > 0) {
    throw forbidden(`${forbiddenProjects.length === 1 ? 'An event names' : `${forbiddenProjects.length} events name`} a project this key may not write to: ${forbiddenProjects[0]!.message}. Leave "project" out (the key's project is used) or use a key of that project; nothing was accepted.`, 'forbidden_project', forbiddenProjects as unknown as Record<string, unknown>[]);
  }
  // Registrations and violations count only for a request that was answered with them: not for a 429 or a 503.
  const recordCatalog = () => {
    for (const [projectId, plan] of plans) deps.catalog.record(principal.tenantId, projectId, plan.changes);
  };
  if (accepted.length === 0) {
    recordCatalog();
    throw badRequest('no_events_accepted', 'No event was accepted; see details for what to fix in each.', errors as unknown as Record<string, unknown>[]);
  }
  await checkRate(deps, principal.tenantId, accepted.length);
  const headers = traceHeaders(trace);
  try {
    await deps.log.send(
      deps.config.kafka.topics.eventsRaw,
      accepted.map((e) => ({ key: e.tenantId, value: encodeRawEvent(e), headers })),
    );
  } catch (e) {
    if (e instanceof ProducerUnavailableError) {
      throw unavailable('The event log did not confirm the write in time; retry with the same event_ids (nothing is counted twice).', 2, e);
    }
    // Only when the topic's max.message.bytes is below what the per-event limits allow (a misconfiguration):
    // a retry cannot succeed, so not a 503.
    if (e instanceof RecordTooLargeError) {
      throw tooLarge('An event of this request is larger than the event log accepts; make its properties or context smaller, then send the request again with the same event_ids (nothing is counted twice).', 'payload_too_large', e);
    }
    throw e;
  }
  recordCatalog();
  return { accepted: accepted.length, rejected: errors.length, event_ids: eventIds, errors };
}
