// GET /v1/catalog, GET /v1/catalog/violations, PUT /v1/catalog/{event_type}.
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import {
  count24hFromMs,
  declarationCapMessage,
  DECLARABLE_TYPES,
  TYPE_STATUSES,
  isCatalogablePropertyName,
  maskToTypes,
  typesToMask,
  MAX_PROPERTY_NAME,
} from '../../core/catalog';
import { eventTypeProblem, normalizeName } from '../../core/event-validation';
import { MAX_DIMENSIONS_PER_TYPE } from '../../core/breakdown';
import { badRequest, conflict, forbidden, notFound } from '../../core/errors';
import type { Adapters } from '../../adapters';
import type { CatalogTypeRow } from '../../adapters/postgres/catalog-store';
import { parseBody } from '../http/body-schema';
import { readableProjects } from './scope';
import { requestEntry } from '../../core/audit-log';

export const declareCatalogTypeSchema = z.strictObject({
  project: z.string().min(1).max(64).optional().describe('Required unless the key is bound to a project'),
  description: z.string().trim().max(1000).nullable().optional().describe('null or "" clears it'),
  status: z.enum(TYPE_STATUSES).optional(),
  properties: z
    .record(
      z
        .string()
        .refine(
          isCatalogablePropertyName,
          `property names are 1-${MAX_PROPERTY_NAME} printable characters, without invisible or direction-changing ones (bidi controls, zero-width characters, spaces other than U+0020)`,
        ),
      z.enum(DECLARABLE_TYPES).nullable(),
    )
    .optional()
    .describe('Top-level property name → declared JSON type; null removes the declaration'),
  dimensions: z
    .array(
      z
        .string()
        .refine(
          (n) => isCatalogablePropertyName(n) && !n.includes('.'),
          `dimension names are top-level property names: 1-${MAX_PROPERTY_NAME} printable characters without a dot`,
        ),
    )
    .max(
      MAX_DIMENSIONS_PER_TYPE,
      `at most ${MAX_DIMENSIONS_PER_TYPE} dimensions per event type; break down by other properties from raw events (GET /v1/metrics?breakdown=<property>)`,
    )
    .refine((a) => new Set(a.map((n) => n.normalize('NFC'))).size === a.length, 'dimensions must not repeat a name')
    .optional()
    .describe(
      'The top-level properties whose breakdowns are pre-aggregated (replaces the list; [] removes them all); see docs/api.md#breakdowns',
    ),
});

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function typeView(t: CatalogTypeRow) {
  return {
    event_type: t.eventType,
    description: t.description,
    status: t.status,
    declared: t.declared,
    first_seen: iso(t.firstSeen),
    last_seen: iso(t.lastSeen),
    count_24h: t.count24h,
    dimensions: t.dimensions.map((d) => d.name),
    // From when breakdowns by each dimension read its rollups (docs/api.md#breakdowns); earlier buckets: raw events.
    dimension_rollups_from: Object.fromEntries(t.dimensions.map((d) => [d.name, d.completeFrom.toISOString()])),
    properties: t.properties.map((p) => ({
      name: p.name,
      observed_types: maskToTypes(typesToMask(p.observed)),
      declared_type: p.declared,
      first_seen: iso(p.firstSeen),
      last_seen: iso(p.lastSeen),
    })),
  };
}

function catalogPath(eventType: string): string {
  return `/v1/catalog/${encodeURIComponent(eventType)}`;
}

export async function getCatalog(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const projects = await readableProjects(deps.projects, principal, params.get('project'));
  const eventType = params.get('event_type') || undefined;
  const countFromMs = count24hFromMs(deps.now());
  const [modes, rows] = await Promise.all([
    deps.tenants.listProjects(principal.tenantId),
    deps.catalogStore.readCatalog({
      tenantId: principal.tenantId,
      projectIds: projects.map((p) => p.id),
      eventType,
      countFromMs,
    }),
  ]);
  const modeOf = new Map(modes.map((p) => [p.id, p.schemaMode]));
  const { maxEventTypes, maxPropertiesPerType } = deps.config.catalog;
  return {
    projects: projects.map((p) => ({
      project: p.slug,
      schema_mode: modeOf.get(p.id) ?? 'open',
      limits: { max_event_types: maxEventTypes, max_properties_per_type: maxPropertiesPerType },
      event_types: rows.filter((r) => r.projectId === p.id).map(typeView),
    })),
  };
}

export async function getViolations(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const projects = await readableProjects(deps.projects, principal, params.get('project'));
  const slugOf = new Map(projects.map((p) => [p.id, p.slug]));
  const rows = await deps.catalogStore.readViolations(
    principal.tenantId,
    projects.map((p) => p.id),
  );
  return {
    violations: rows.map((v) => ({
      project: slugOf.get(v.projectId),
      event_type: v.eventType,
      reason: v.reason,
      count: v.count,
      first_seen: v.firstSeen.toISOString(),
      last_seen: v.lastSeen.toISOString(),
      samples: v.samples,
    })),
  };
}

export async function putCatalogType(
  deps: Adapters,
  principal: Principal,
  rawEventType: string,
  body: unknown,
): Promise<{ created: boolean; entry: unknown }> {
  requireScope(principal, 'admin');
  const problem = eventTypeProblem(rawEventType);
  if (problem)
    throw badRequest(
      'invalid_parameter',
      `${problem}; the path holds the event type, URL-encoded (e.g. ${catalogPath('Order Completed')}).`,
    );
  // Ingest stores names in NFC: declarations must name them the same way.
  const eventType = normalizeName(rawEventType);
  const input = parseBody(declareCatalogTypeSchema, body);
  if (input.properties)
    input.properties = Object.fromEntries(Object.entries(input.properties).map(([k, v]) => [normalizeName(k), v]));

  if (principal.projectSlug && input.project !== undefined && input.project !== principal.projectSlug) {
    throw forbidden(
      `This key is bound to project "${principal.projectSlug}" and cannot change the catalog of "${input.project}".`,
    );
  }
  const slug = principal.projectSlug ?? input.project;
  if (slug === undefined)
    throw badRequest('invalid_body', 'project: required: the slug of the project whose catalog to change.');
  const project =
    principal.projectId && principal.projectSlug
      ? { id: principal.projectId, slug: principal.projectSlug }
      : await deps.projects.bySlug(principal.tenantId, slug);
  if (!project) throw notFound(`Project "${slug}" does not exist.`);

  const result = await deps.catalogStore.declareEventType(
    {
      tenantId: principal.tenantId,
      projectId: project.id,
      eventType,
      description: input.description === '' ? null : input.description,
      status: input.status,
      properties: input.properties ?? {},
      ...(input.dimensions
        ? {
            dimensions: {
              names: input.dimensions.map(normalizeName),
              maxValues: deps.config.breakdowns.dimensionMaxValues,
              maxFutureSkewMs: deps.config.limits.maxFutureSkewMs,
            },
          }
        : {}),
    },
    deps.config.catalog,
    (before, after) =>
      JSON.stringify(before) === JSON.stringify(after)
        ? undefined // the same declaration again: nothing changed, nothing recorded
        : requestEntry(
            principal,
            deps.now(),
            'catalog.update',
            `${project.slug}/${eventType}`,
            before && { project: project.slug, event_type: eventType, ...before },
            { project: project.slug, event_type: eventType, ...after },
          ),
  );
  if (result.kind !== 'ok')
    throw conflict('catalog_limit', declarationCapMessage(result.reason, project.slug, eventType));
  // This process sees the declaration at once; others within CATALOG_CACHE_TTL.
  deps.catalog.invalidate(principal.tenantId, project.id);
  const countFromMs = count24hFromMs(deps.now());
  const [row] = await deps.catalogStore.readCatalog({
    tenantId: principal.tenantId,
    projectIds: [project.id],
    eventType,
    countFromMs,
  });
  return { created: result.value.created, entry: { project: project.slug, ...typeView(row!) } };
}
