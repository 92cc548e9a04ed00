// Accepting events, shared by POST /v1/events and the Segment endpoints (docs/architecture.md#rule-1-ack-means-durable):
// validation → project → the catalog's checks → rate limit → the durable write. Pure orchestration over the ports
// below, which the adapters implement; time comes in through `now`.
import type { Principal } from './api-keys';
import { CatalogPlan, type CatalogChanges, type CatalogLimits, type CatalogSnapshot } from './catalog';
import { badRequest, forbidden, rateLimited } from './errors';
import {
  readBodyShape,
  validateEvent,
  type EventCheck,
  type EventRejection,
  type ValidEvent,
  type ValidationLimits,
} from './event-validation';
import { ok, rejected, type Ok, type Rejected } from './outcome';
import type { RawEvent } from './raw-event';

/** The answer to an accepted request: per event its id, or its rejection in `errors`. */
export interface IngestOutcome {
  accepted: number;
  rejected: number;
  event_ids: (string | null)[];
  errors: EventRejection[];
}

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

/** The record headers of a request's events: its id always, trace values only when well-formed. */
export function traceHeaders(trace: TraceContext): Record<string, string> {
  return {
    request_id: trace.requestId,
    ...(trace.traceparent && TRACEPARENT.test(trace.traceparent) ? { traceparent: trace.traceparent } : {}),
    ...(trace.xrayTraceId && XRAY_TRACE.test(trace.xrayTraceId) ? { 'x-amzn-trace-id': trace.xrayTraceId } : {}),
  };
}

/** A tenant's project by slug (cached by the adapter; a project created a moment ago is found). */
export interface ProjectLookup {
  bySlug(tenantId: string, slug: string): Promise<{ id: string; slug: string } | undefined>;
}

/** The event catalog as this process knows it, and where a request's registrations go once it is answered. */
export interface CatalogCache {
  snapshot(tenantId: string, projectId: string): Promise<CatalogSnapshot>;
  record(tenantId: string, projectId: string, changes: CatalogChanges): void;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The tenant's token bucket, counted in events: all of a request's events are taken or none. */
export interface RateGate {
  take(tenantId: string, events: number): Promise<RateDecision>;
}

/** Each tenant's raw-event retention in ms. */
export interface RetentionLookup {
  of(tenantId: string): Promise<number>;
}

/**
 * events_raw: resolves once the log acknowledged every event (acks=all). Fails with an AppError — `unavailable`
 * (no acknowledgement in time: the outcome is unknown) or `too_large` (an event larger than the log takes).
 */
export interface RawEventLog {
  append(events: RawEvent[], trace: TraceContext): Promise<void>;
}

export interface IngestPorts {
  projects: ProjectLookup;
  catalog: CatalogCache;
  rateGate: RateGate;
  retention: RetentionLookup;
  events: RawEventLog;
  now(): number;
  /** Told when the rate gate fails: the request is admitted all the same (Redis trouble must not stop ingest). */
  rateGateFailed(error: unknown): void;
}

export interface IngestSettings {
  /** The platform's limits; retentionMs is replaced by the tenant's own. */
  limits: ValidationLimits;
  catalog: CatalogLimits;
  /** The configured rate, for the 429's message. */
  eventsPerSecond: number;
}

type ProjectRef = { id: string; slug: string };
type Checked<T> = Ok<T> | Rejected<EventRejection>;

/** POST /v1/events: the body's shape, each event's validation, then the shared acceptance path. */
export async function acceptBody(
  ports: IngestPorts,
  settings: IngestSettings,
  principal: Principal,
  body: unknown,
  trace: TraceContext,
): Promise<IngestOutcome> {
  const limits = { ...settings.limits, retentionMs: await ports.retention.of(principal.tenantId) };
  const shape = readBodyShape(body, limits.maxEventsPerBatch);
  if (shape.kind !== 'ok') throw badRequest(shape.reason.code, shape.reason.message);
  const { events, tenantIds } = shape.value;
  if (tenantIds.some((t) => t !== undefined && t !== principal.tenantId)) {
    throw forbidden(
      'tenant_id names another tenant; the tenant always comes from the API key, so leave tenant_id out.',
    );
  }
  const nowMs = ports.now();
  const checks = events.map((raw, index) => validateEvent(raw, index, nowMs, limits));
  return acceptValidated(ports, settings, principal, checks, nowMs, trace);
}

async function resolveProject(
  projects: ProjectLookup,
  principal: Principal,
  e: ValidEvent,
): Promise<Checked<ProjectRef>> {
  if (principal.projectId && principal.projectSlug) {
    if (e.project !== null && e.project !== principal.projectSlug) {
      const message = `this key is bound to project "${principal.projectSlug}"; it cannot write to "${e.project}"`;
      return rejected({ index: e.index, code: 'forbidden_project', message });
    }
    return ok({ id: principal.projectId, slug: principal.projectSlug });
  }
  if (e.project === null) {
    return rejected({
      index: e.index,
      code: 'invalid_event',
      message: 'project is required: the slug of one of your projects',
    });
  }
  const project = await projects.bySlug(principal.tenantId, e.project);
  if (!project) {
    const message = `project "${e.project}" does not exist; create it first (projects are never created implicitly)`;
    return rejected({ index: e.index, code: 'unknown_project', message });
  }
  return ok({ id: project.id, slug: project.slug });
}

/**
 * The acceptance path from validated events on: project, catalog, rate limit, and the durable write (answered
 * only after the log has every accepted event).
 */
export async function acceptValidated(
  ports: IngestPorts,
  settings: IngestSettings,
  principal: Principal,
  checks: EventCheck[],
  nowMs: number,
  trace: TraceContext,
): Promise<IngestOutcome> {
  const eventIds: (string | null)[] = checks.map(() => null);
  const errors: EventRejection[] = [];
  const accepted: RawEvent[] = [];
  // One catalog plan per project of the request: the only await is the first, cached, load of a project's catalog.
  const plans = new Map<string, CatalogPlan>();
  // A project-bound key naming another project is refused whole with 403, like a tenant_id of another tenant.
  const forbiddenProjects: EventRejection[] = [];

  const checkCatalog = async (project: ProjectRef, e: ValidEvent): Promise<Checked<ValidEvent>> => {
    let plan = plans.get(project.id);
    if (!plan) {
      plan = new CatalogPlan(
        await ports.catalog.snapshot(principal.tenantId, project.id),
        settings.catalog,
        project.slug,
      );
      plans.set(project.id, plan);
    }
    const rejection = plan.check(e, nowMs);
    return rejection ? rejected(rejection) : ok(e);
  };

  const admit = async (e: ValidEvent): Promise<Checked<RawEvent>> => {
    const project = await resolveProject(ports.projects, principal, e);
    if (project.kind !== 'ok') {
      if (project.reason.code === 'forbidden_project') forbiddenProjects.push(project.reason);
      return project;
    }
    const catalog = await checkCatalog(project.value, e);
    if (catalog.kind !== 'ok') return catalog;
    const { id: projectId, slug } = project.value;
    return ok({
      tenantId: principal.tenantId,
      projectId,
      project: slug,
      eventId: e.eventId,
      eventType: e.eventType,
      timestampMs: e.timestampMs,
      receivedAtMs: nowMs,
      userId: e.userId,
      anonymousId: e.anonymousId,
      sessionId: e.sessionId,
      properties: e.properties,
      context: e.context,
    });
  };

  for (const [index, check] of checks.entries()) {
    const outcome = check.kind === 'ok' ? await admit(check.value) : check;
    if (outcome.kind !== 'ok') {
      errors.push(outcome.reason);
      continue;
    }
    accepted.push(outcome.value);
    eventIds[index] = outcome.value.eventId;
  }
  if (forbiddenProjects.length > 0) {
    const [first] = forbiddenProjects;
    const events = forbiddenProjects.length === 1 ? 'An event names' : `${forbiddenProjects.length} events name`;
    throw forbidden(
      `${events} a project this key may not write to: ${first!.message}. ` +
        'Leave "project" out (the key\'s project is used) or use a key of that project; nothing was accepted.',
      'forbidden_project',
      forbiddenProjects as unknown as Record<string, unknown>[],
    );
  }
  // Registrations and violations count only for a request that was answered with them: not for a 429 or a 503.
  const recordCatalog = () => {
    for (const [projectId, plan] of plans) ports.catalog.record(principal.tenantId, projectId, plan.changes);
  };
  if (accepted.length === 0) {
    recordCatalog();
    const details = errors as unknown as Record<string, unknown>[];
    throw badRequest('no_events_accepted', 'No event was accepted; see details for what to fix in each.', details);
  }
  await checkRate(ports, settings, principal.tenantId, accepted.length);
  await ports.events.append(accepted, trace);
  recordCatalog();
  return { accepted: accepted.length, rejected: errors.length, event_ids: eventIds, errors };
}

/** The whole batch fits the tenant's rate or none of it is taken. */
async function checkRate(
  ports: IngestPorts,
  settings: IngestSettings,
  tenantId: string,
  events: number,
): Promise<void> {
  let decision: RateDecision;
  try {
    decision = await ports.rateGate.take(tenantId, events);
  } catch (e) {
    ports.rateGateFailed(e);
    return;
  }
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    const message = `This tenant sends more than ${settings.eventsPerSecond} events/s; retry after ${seconds} s (the whole batch was refused).`;
    throw rateLimited(message, seconds);
  }
}
