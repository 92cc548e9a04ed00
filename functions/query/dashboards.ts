// /v1/dashboards (docs/api.md#dashboards): config the web UI renders; a default one for every tenant.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import { notFound } from '../../core/errors';
import {
  CHART_KINDS,
  fitsGrid,
  MAX_BREAKDOWN_LIMIT,
  MAX_EXTRA_SERIES,
  GRID,
  isWidgetRange,
  MAX_WIDGETS,
  needsEventType,
  WIDGET_TYPES,
  type Widget,
} from '../../core/dashboards';
import type { Adapters } from '../../adapters';
import type { Dashboard } from '../../adapters/postgres/dashboards-store';
import { parseBody } from '../http/body-schema';
import { isUuid } from '../../core/ids';

const metricSchema = z
  .string()
  .regex(
    /^(count|unique_users|(sum|avg|p50|p90|p95|p99):[^.\s]+(\.[^.\s]+){0,5})$/,
    'metric must be count, unique_users, sum:<path>, avg:<path> or p50:/p90:/p95:/p99:<path>',
  );

const widgetSchema = z
  .strictObject({
    id: z.string().min(1).max(64).optional(),
    type: z.enum(WIDGET_TYPES),
    title: z.string().trim().min(1).max(200),
    query: z.strictObject({
      event_type: z.string().min(1).max(200).optional(),
      metric: metricSchema.optional(),
      interval: z.enum(['10s', '1m', '5m', '1h', '1d']).optional(),
      range: z
        .string()
        .refine(isWidgetRange, 'range must be a duration such as 15m, 1h, 24h, 7d or 30d (at most 90d)')
        .optional(),
      project: z.string().min(1).max(63).optional(),
      filter: z
        .record(z.string().min(1).max(200), z.string().max(500))
        .refine((f) => Object.keys(f).length <= 10, 'at most 10 filter properties')
        .optional(),
      // More lines on the same chart: other event types and/or metrics, same interval, range, project and filter.
      series: z
        .array(
          z.strictObject({
            event_type: z.string().min(1).max(200),
            metric: metricSchema.optional(),
            label: z.string().trim().min(1).max(100).optional(),
          }),
        )
        .max(MAX_EXTRA_SERIES, `at most ${MAX_EXTRA_SERIES} extra series`)
        .optional(),
      // One series per value of a property (GET /v1/metrics breakdown=<path>&limit=N), drawn stacked.
      breakdown: z
        .strictObject({
          path: z.string().min(1).max(200),
          limit: z.number().int().min(1).max(MAX_BREAKDOWN_LIMIT).optional(),
        })
        .optional(),
      // Also the range before, as a dashed line (GET /v1/metrics compare=previous).
      compare: z.enum(['previous']).optional(),
    }),
    // How a timeseries widget draws its series; the values' unit for its legend ("ms", "EUR").
    chart: z.enum(CHART_KINDS).optional(),
    unit: z.string().trim().min(1).max(20).optional(),
    // A 12-column grid: x is the column (0-11) and y the row (0 at the top) of the widget's top-left cell;
    // without x/y the UI flows widgets in order.
    layout: z
      .strictObject({
        x: z
          .number()
          .int()
          .min(0)
          .max(GRID.columns - 1)
          .optional(),
        y: z.number().int().min(0).max(GRID.maxRow).optional(),
        w: z.number().int().min(1).max(GRID.columns),
        h: z.number().int().min(1).max(GRID.maxHeight),
      })
      .refine(fitsGrid, `x + w must be at most ${GRID.columns} (the grid has ${GRID.columns} columns)`)
      .optional(),
  })
  .superRefine((w, ctx) => {
    if (needsEventType(w.type) && !w.query.event_type)
      ctx.addIssue({ code: 'custom', path: ['query', 'event_type'], message: `is required for a ${w.type} widget` });
  });

export const dashboardSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  widgets: z.array(widgetSchema).max(MAX_WIDGETS),
});

function view(d: Dashboard) {
  return {
    id: d.id,
    name: d.name,
    is_default: d.isDefault,
    widgets: d.widgets,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

const withIds = (widgets: z.infer<typeof widgetSchema>[]): Widget[] =>
  widgets.map((w) => ({ ...w, id: w.id ?? randomUUID() }));

async function dashboardOf(deps: Adapters, principal: Principal, id: string): Promise<Dashboard> {
  const d = isUuid(id) ? await deps.dashboards.getDashboard(principal.tenantId, id) : null;
  if (!d) throw notFound(`Dashboard ${id} does not exist.`);
  return d;
}

export async function getDashboards(deps: Adapters, principal: Principal) {
  let all = await deps.dashboards.listDashboards(principal.tenantId);
  if (all.length === 0) {
    // Every tenant starts with a default dashboard, made from its busiest event types on first use.
    await deps.dashboards.ensureDefaultDashboard(principal.tenantId);
    all = await deps.dashboards.listDashboards(principal.tenantId);
  }
  return { dashboards: all.map(view) };
}

export async function getDashboardById(deps: Adapters, principal: Principal, id: string) {
  return view(await dashboardOf(deps, principal, id));
}

export async function postDashboard(deps: Adapters, principal: Principal, body: unknown) {
  requireScope(principal, 'admin');
  const input = parseBody(dashboardSchema, body);
  const d = await deps.dashboards.insertDashboard(principal.tenantId, randomUUID(), {
    name: input.name,
    widgets: withIds(input.widgets),
  });
  return view(d!);
}

export async function putDashboard(deps: Adapters, principal: Principal, id: string, body: unknown) {
  requireScope(principal, 'admin');
  await dashboardOf(deps, principal, id);
  const input = parseBody(dashboardSchema, body);
  const d = await deps.dashboards.updateDashboard(principal.tenantId, id, {
    name: input.name,
    widgets: withIds(input.widgets),
  });
  if (!d) throw notFound(`Dashboard ${id} does not exist.`);
  return view(d);
}

export async function deleteDashboardById(deps: Adapters, principal: Principal, id: string) {
  requireScope(principal, 'admin');
  await dashboardOf(deps, principal, id);
  await deps.dashboards.deleteDashboard(principal.tenantId, id);
  return { id, deleted: true };
}
