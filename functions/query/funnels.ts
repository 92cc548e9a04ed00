// POST /v1/funnels/query and POST/GET /v1/funnels/persons (docs/api.md#funnels): the body checked, the reader
// (adapters/postgres/funnel-reads.ts) streamed through the pure engine (core/funnel.ts), the answer shaped.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import { badRequest } from '../../core/errors';
import { parseDuration } from '../../core/intervals';
import { unstorableChar } from '../../core/event-validation';
import {
  FUNNEL_DEFAULT_BREAKDOWN_LIMIT,
  FUNNEL_MAX_BREAKDOWN_LIMIT,
  FUNNEL_MAX_EXCLUSIONS,
  FUNNEL_MAX_RANGE_MS,
  FUNNEL_MAX_STEPS,
  FUNNEL_MAX_WINDOW_MS,
  FUNNEL_MIN_STEPS,
  FUNNEL_MIN_WINDOW_MS,
  FUNNEL_ORDERS,
  FunnelTally,
  pathMatches,
  type FunnelShape,
} from '../../core/funnel';
import type { FunnelEventSpec, FunnelRead } from '../../core/funnel-query';
import { OTHER_SERIES } from '../../core/breakdown';
import { parseBody } from '../http/body-schema';
import { propertyFilters, timeParam } from '../http/request';
import { readableProjects } from './scope';

export const FUNNEL_PERSONS_DEFAULT_LIMIT = 100;
export const FUNNEL_PERSONS_MAX_LIMIT = 1000;

const eventType = z
  .string()
  .min(1, 'event_type must not be empty')
  .max(200)
  .overwrite((s) => s.normalize('NFC'));

/** Filter keys are what follows `prop.` in GET /v1/metrics, checked by the same code. */
const filters = z
  .record(z.string(), z.union([z.string().max(500), z.number(), z.boolean()]))
  .superRefine((f, ctx) => {
    for (const k of Object.keys(f)) {
      try {
        propertyFilters(new URLSearchParams([[`prop.${k}`, '']]));
      } catch {
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message:
            'filter keys must be a property name or a dotted path of at most 6 non-empty names, e.g. "plan" or "order.region"',
        });
      }
    }
  })
  .refine((f) => Object.keys(f).length <= 10, 'at most 10 filter properties per step')
  .optional();

const time = z.union([z.string().max(40), z.number()]);

const step = z.strictObject({ event_type: eventType, filters });

const exclusion = z.strictObject({
  event_type: eventType,
  filters,
  from_step: z.number().int().min(1).max(FUNNEL_MAX_STEPS),
  to_step: z.number().int().min(2).max(FUNNEL_MAX_STEPS),
});

const breakdownPath = z
  .string()
  .max(1000)
  .overwrite((s) => s.normalize('NFC'))
  .refine((v) => {
    const names = v.split('.');
    return names.length <= 6 && names.every((n) => n.length > 0);
  }, 'breakdown must be a property name or a dotted path of at most 6 non-empty names, e.g. "country" or "utm.source"');

export const funnelQuerySchema = z.strictObject({
  project: z.string().min(1).max(63).nullable().optional(),
  steps: z
    .array(step)
    .min(FUNNEL_MIN_STEPS, `a funnel has ${FUNNEL_MIN_STEPS} to ${FUNNEL_MAX_STEPS} steps`)
    .max(FUNNEL_MAX_STEPS, `a funnel has ${FUNNEL_MIN_STEPS} to ${FUNNEL_MAX_STEPS} steps`),
  window: z
    .string()
    .refine((v) => {
      const ms = parseDuration(v);
      return ms !== undefined && ms >= FUNNEL_MIN_WINDOW_MS && ms <= FUNNEL_MAX_WINDOW_MS;
    }, 'window must be a duration such as 30m, 1h, 14d (a whole number of s, m, h or d), from 1s to 90d')
    .default('14d'),
  from: time,
  to: time,
  order: z.enum(FUNNEL_ORDERS).default('ordered'),
  breakdown: breakdownPath.nullable().optional(),
  breakdown_limit: z.number().int().min(1).max(FUNNEL_MAX_BREAKDOWN_LIMIT).optional(),
  exclusions: z.array(exclusion).max(FUNNEL_MAX_EXCLUSIONS).default([]),
});

export const funnelPersonsSchema = funnelQuerySchema.extend({
  step: z.number().int().min(1).max(FUNNEL_MAX_STEPS),
  status: z.enum(['converted', 'dropped']).default('converted'),
  breakdown_value: z.string().max(2000).optional(),
  cursor: z.string().max(4096).nullable().optional(),
  limit: z.number().int().min(1).max(FUNNEL_PERSONS_MAX_LIMIT).default(FUNNEL_PERSONS_DEFAULT_LIMIT),
});

type FunnelQueryInput = z.infer<typeof funnelQuerySchema>;

const iso = (ms: number) => new Date(ms).toISOString();

function timeOf(v: string | number, name: string): number {
  const ms = timeParam(new URLSearchParams([[name, String(v)]]), name);
  if (ms === undefined)
    throw badRequest(
      'invalid_body',
      `${name}: give an ISO-8601 time (e.g. 2026-11-27T10:00:00Z) or epoch milliseconds.`,
    );
  return ms;
}

function specOf(s: { event_type: string; filters?: Record<string, string | number | boolean> | undefined }) {
  const props: [string[], string][] = Object.entries(s.filters ?? {}).map(([k, v]) => [
    k.normalize('NFC').split('.'),
    String(v),
  ]);
  return { eventType: s.event_type, props } satisfies FunnelEventSpec;
}

interface Prepared {
  read: FunnelRead;
  projectSlug: string;
  input: FunnelQueryInput;
  fromMs: number;
  toMs: number;
}

/** Checks what the schema cannot (times, steps of exclusions, retention) and resolves the project. */
async function prepare(deps: Adapters, principal: Principal, input: FunnelQueryInput): Promise<Prepared> {
  const fromMs = timeOf(input.from, 'from');
  const toMs = timeOf(input.to, 'to');
  if (fromMs >= toMs) throw badRequest('invalid_body', 'from must be earlier than to.');
  if (toMs - fromMs > FUNNEL_MAX_RANGE_MS)
    throw badRequest(
      'invalid_body',
      `from..to covers at most ${FUNNEL_MAX_RANGE_MS / 86_400_000} days of entries; give a shorter range.`,
    );
  input.exclusions.forEach((x, i) => {
    if (x.from_step >= x.to_step || x.to_step > input.steps.length)
      throw badRequest(
        'invalid_body',
        `exclusions.${i}: from_step and to_step are step numbers with 1 <= from_step < to_step <= ${input.steps.length} (the number of steps).`,
      );
  });
  if (input.breakdown_limit !== undefined && !input.breakdown)
    throw badRequest(
      'invalid_body',
      'breakdown_limit applies to breakdowns: add "breakdown": "<property>", or drop it.',
    );
  const retentionMs = await deps.retention.of(principal.tenantId);
  const oldestKept = deps.now() - retentionMs;
  if (fromMs < oldestKept)
    throw badRequest(
      'beyond_retention',
      `Funnels read raw events, which are kept ${Math.round((retentionMs / 86_400_000) * 10) / 10} days: from is ${iso(fromMs)}, ` +
        `before the oldest kept (${iso(oldestKept)}). Give from=${iso(Math.ceil(oldestKept / 1000) * 1000)} or later.`,
    );
  const projects = await readableProjects(deps.projects, principal, input.project ?? null);
  if (projects.length !== 1)
    throw badRequest(
      'invalid_body',
      'project: persons are counted within one project and this tenant has several; give "project": "<slug>" (or use a key bound to a project).',
    );
  const shape: FunnelShape = {
    steps: input.steps.length,
    order: input.order,
    windowUs: parseDuration(input.window)! * 1000,
    fromUs: fromMs * 1000,
    toUs: toMs * 1000,
    exclusions: input.exclusions.map((x) => ({ fromStep: x.from_step - 1, toStep: x.to_step - 1 })),
  };
  return {
    read: {
      tenantId: principal.tenantId,
      projectId: projects[0]!.id,
      steps: input.steps.map(specOf),
      exclusions: input.exclusions.map(specOf),
      breakdown: input.breakdown ? input.breakdown.split('.') : null,
      shape,
      afterPerson: null,
    },
    projectSlug: projects[0]!.slug,
    input,
    fromMs,
    toMs,
  };
}

function echo(p: Prepared) {
  return {
    project: p.projectSlug,
    order: p.input.order,
    window: p.input.window,
    from: iso(p.fromMs),
    to: iso(p.toMs),
  };
}

export async function queryFunnel(deps: Adapters, principal: Principal, body: unknown) {
  const p = await prepare(deps, principal, parseBody(funnelQuerySchema, body));
  const tally = new FunnelTally(p.read.steps.length, p.read.breakdown !== null);
  await deps.funnels.paths(p.read, (_person, path) => tally.add(path));
  const result = tally.result(p.input.breakdown_limit ?? FUNNEL_DEFAULT_BREAKDOWN_LIMIT);
  const named = <T extends { step: number }>(steps: T[]) =>
    steps.map((s) => ({ ...s, event_type: p.read.steps[s.step - 1]!.eventType }));
  return {
    ...echo(p),
    steps: named(result.steps),
    ...(result.breakdown
      ? {
          breakdown: p.input.breakdown,
          breakdown_values: result.breakdown.map((b) => ({ value: b.value, steps: named(b.steps) })),
        }
      : {}),
  };
}

// ── persons ──

/** What a cursor is bound to: the query without cursor and limit (canonical JSON of the parsed body). */
function fingerprint(input: Record<string, unknown>): string {
  const { cursor: _c, limit: _l, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('base64url').slice(0, 22);
}

function encodePersonsCursor(fp: string, lastPerson: string): string {
  return Buffer.from(JSON.stringify([1, fp, lastPerson]), 'utf8').toString('base64url');
}

function decodePersonsCursor(raw: string, fp: string): string {
  const invalid = () =>
    badRequest(
      'invalid_cursor',
      'cursor is not one this API returned for this query (the query must be the same as the page before); start again without cursor.',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 1 || parsed[1] !== fp) throw invalid();
  const last: unknown = parsed[2];
  if (typeof last !== 'string' || last.length > 2048 || unstorableChar(last) !== undefined) throw invalid();
  return last;
}

/** The body of GET /v1/funnels/persons: `query` is the POST body as base64url JSON; cursor and limit may be apart. */
export function personsBodyOfQuery(params: URLSearchParams): unknown {
  const raw = params.get('query');
  const bad = () =>
    badRequest(
      'invalid_parameter',
      'query must be the POST /v1/funnels/persons body as base64url-encoded JSON (e.g. the "persons_url" a page gives).',
    );
  if (raw === null || params.getAll('query').length !== 1 || !/^[A-Za-z0-9_-]*={0,2}$/.test(raw)) throw bad();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad();
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const name of ['cursor', 'limit'] as const) {
    const all = params.getAll(name);
    if (all.length > 1) throw badRequest('invalid_parameter', `give ${name} once.`);
    if (all.length === 1) {
      if (name === 'limit') {
        if (!/^[0-9]{1,4}$/.test(all[0]!))
          throw badRequest('invalid_parameter', `limit: a whole number from 1 to ${FUNNEL_PERSONS_MAX_LIMIT}.`);
        out.limit = Number(all[0]);
      } else out.cursor = all[0];
    }
  }
  return out;
}

export async function funnelPersons(deps: Adapters, principal: Principal, body: unknown) {
  const input = parseBody(funnelPersonsSchema, body);
  const p = await prepare(deps, principal, input);
  if (input.step > input.steps.length)
    throw badRequest('invalid_body', `step: a step number from 1 to ${input.steps.length} (the number of steps).`);
  if (input.status === 'dropped' && input.step === 1)
    throw badRequest(
      'invalid_body',
      'status "dropped" lists who reached the step before but not this one: give step 2 or later (everyone listed enters at step 1).',
    );
  if (input.breakdown_value !== undefined && !input.breakdown)
    throw badRequest(
      'invalid_body',
      'breakdown_value needs "breakdown": "<property>" (the property it is a value of).',
    );
  if (input.breakdown_value === OTHER_SERIES)
    throw badRequest(
      'invalid_body',
      'breakdown_value "$other" is not one value but every value past breakdown_limit: list the persons of each value, or raise breakdown_limit.',
    );
  const fp = fingerprint(input);
  const after = input.cursor ? decodePersonsCursor(input.cursor, fp) : null;
  const persons: {
    person_id: string;
    reached_step: number;
    entered_at: string;
    step_times: string[];
    value: string;
  }[] = [];
  let more = false;
  await deps.funnels.paths({ ...p.read, afterPerson: after }, (person, path) => {
    if (!pathMatches(path, input.step, input.status)) return true;
    if (input.breakdown_value !== undefined && path.value !== input.breakdown_value) return true;
    if (persons.length === input.limit) {
      more = true;
      return false;
    }
    persons.push({
      person_id: person,
      reached_step: path.reached,
      entered_at: iso(Math.floor(path.times[0]! / 1000)),
      step_times: path.times.map((us) => iso(Math.floor(us / 1000))),
      value: path.value,
    });
    return true;
  });
  const next = more ? encodePersonsCursor(fp, persons[persons.length - 1]!.person_id) : null;
  const { cursor: _c, limit: _l, ...query } = input;
  return {
    ...echo(p),
    step: input.step,
    status: input.status,
    persons: persons.map(({ value, ...rest }) => (input.breakdown ? { ...rest, breakdown_value: value } : rest)),
    next_cursor: next,
    next_url:
      next === null
        ? null
        : `/v1/funnels/persons?query=${Buffer.from(JSON.stringify(query), 'utf8').toString('base64url')}&cursor=${next}&limit=${input.limit}`,
  };
}
