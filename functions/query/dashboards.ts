// /v1/dashboards (docs/api.md#dashboards): config the web UI renders; a default one for every tenant.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import { notFound } from '../../core/errors';
import { changeEntry, type AuditAction, type AuditEntry } from '../../core/audit-log';
import {
  CHART_KINDS,
  fitsGrid,
  MAX_BREAKDOWN_LIMIT,
  MAX_EXTRA_SERIES,
  GRID,
  isInsight,
  isWidgetRange,
  METRIC_QUERY_FIELDS,
  MAX_WIDGETS,
  needsEventType,
  WIDGET_TYPES,
  type Widget,
} from '../../core/dashboards';
import type { Adapters } from '../../adapters';
import type { Dashboard } from '../../adapters/postgres/dashboards-store';
import { parseBody } from '../http/body-schema';
import { isUuid } from '../../core/ids';
import { parseDuration } from '../../core/intervals';
import { retentionGrid } from '../../core/retention';
import { UTC_ZONE } from '../../core/timezone';
import { funnelQuerySchema } from './funnels';
import { checkRetentionRules, retentionBodySchema } from './retention-schema';

const metricSchema = z
  .string()
  .regex(
    /^(count|unique_users|(sum|avg|p50|p90|p95|p99):[^.\s]+(\.[^.\s]+){0,5})$/,
    'metric must be count, unique_users, sum:<path>, avg:<path> or p50:/p90:/p95:/p99:<path>',
  );

/**
 * Saved insights: the query endpoints' own schemas without from/to (a widget's range, or the dashboard's range
 * picker, gives them when it is drawn).
 */
const savedFunnelSchema = funnelQuerySchema.omit({ from: true, to: true });
const savedRetentionSchema = retentionBodySchema.omit({ from: true, to: true });
/** A saved retention is checked as if its range ended at this instant (a Wednesday noon UTC: mid-day, mid-week). */
const RETENTION_CHECK_TO_MS = Date.UTC(2026, 0, 7, 12);

type WidgetInput = z.infer<typeof widgetSchema>;
type Ctx = z.RefinementCtx;

/** The rules of a funnel or retention widget the endpoints' schemas do not hold (they are checked per request). */
function checkInsight(w: WidgetInput, ctx: Ctx): void {
  const type = w.type as 'funnel' | 'retention';
  const other = type === 'funnel' ? 'retention' : 'funnel';
  const endpoint = type === 'funnel' ? 'POST /v1/funnels/query' : 'POST /v1/retention/query';
  for (const field of [...METRIC_QUERY_FIELDS, other] as const)
    if (w.query[field] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['query', field],
        message: `is not used by a ${type} widget: its query is query.${type} (the body of ${endpoint} without from and to)`,
      });
  if (w.query.range === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['query', 'range'],
      message: `is required for a ${type} widget: the ${type} covers the last <range> (e.g. 30d) when the dashboard shows no range of its own`,
    });
  if (type === 'funnel') {
    const f = w.query.funnel;
    if (f === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['query', 'funnel'],
        message: `is required for a funnel widget: the body of ${endpoint} without from and to, e.g. {"steps": [{"event_type": "signup"}, {"event_type": "purchase"}]}`,
      });
      return;
    }
    // The same rules as the route (functions/query/funnels.ts prepare) for what the schema cannot see.
    // (Only when the parts parsed: zod may run refinements after non-fatal issues elsewhere.)
    if (!Array.isArray(f.exclusions) || !Array.isArray(f.steps)) return;
    f.exclusions.forEach((x, i) => {
      if (x.from_step >= x.to_step || x.to_step > f.steps.length)
        ctx.addIssue({
          code: 'custom',
          path: ['query', 'funnel', 'exclusions', i],
          message: `from_step and to_step are step numbers with 1 <= from_step < to_step <= ${f.steps.length} (the number of steps)`,
        });
    });
    if (f.breakdown_limit !== undefined && !f.breakdown)
      ctx.addIssue({
        code: 'custom',
        path: ['query', 'funnel', 'breakdown_limit'],
        message: 'applies to breakdowns: add "breakdown": "<property>", or drop it',
      });
    return;
  }
  const r = w.query.retention;
  if (r === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['query', 'retention'],
      message: `is required for a retention widget: the body of ${endpoint} without from and to, e.g. {"start_event": "signup", "return_event": "login", "period": "week", "periods": 8}`,
    });
    return;
  }
  const rangeMs = parseDuration(w.query.range ?? '') ?? 0;
  const q = checkRetentionRules({ ...r, from: RETENTION_CHECK_TO_MS - rangeMs, to: RETENTION_CHECK_TO_MS }, ctx, [
    'query',
    'retention',
  ]);
  if (q === undefined || rangeMs <= 0) return;
  try {
    retentionGrid(q, UTC_ZONE);
  } catch {
    ctx.addIssue({
      code: 'custom',
      path: ['query', 'range'],
      message: `spans more ${q.period}s than a retention query has cohorts (${q.period === 'day' ? 90 : 26}); give a shorter range or a longer period`,
    });
  }
}

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
      // A saved insight (type funnel or retention): the body of its query endpoint without from/to.
      funnel: savedFunnelSchema.optional(),
      retention: savedRetentionSchema.optional(),
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
    if (isInsight(w.type)) checkInsight(w, ctx);
    else
      for (const field of ['funnel', 'retention'] as const)
        if (w.query[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['query', field],
            message: `belongs to a ${field} widget: give "type": "${field}"`,
          });
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

/** A dashboard as the audit log keeps it. */
const auditView = (d: Dashboard) => ({ name: d.name, is_default: d.isDefault, widgets: d.widgets });

const dashboardAudit =
  (deps: Adapters, principal: Principal, action: AuditAction, id: string) =>
  (before: Dashboard | null, after: Dashboard | null): AuditEntry | undefined =>
    changeEntry(principal, deps.now(), action, id, auditView, before, after);

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
  const id = randomUUID();
  const d = await deps.dashboards.insertDashboard(
    principal.tenantId,
    id,
    { name: input.name, widgets: withIds(input.widgets) },
    (d) => dashboardAudit(deps, principal, 'dashboard.create', id)(null, d),
  );
  return view(d!);
}

export async function putDashboard(deps: Adapters, principal: Principal, id: string, body: unknown) {
  requireScope(principal, 'admin');
  await dashboardOf(deps, principal, id);
  const input = parseBody(dashboardSchema, body);
  const d = await deps.dashboards.updateDashboard(
    principal.tenantId,
    id,
    { name: input.name, widgets: withIds(input.widgets) },
    (before, after) => (after ? dashboardAudit(deps, principal, 'dashboard.update', id)(before, after) : undefined),
  );
  if (!d) throw notFound(`Dashboard ${id} does not exist.`);
  return view(d);
}

export async function deleteDashboardById(deps: Adapters, principal: Principal, id: string) {
  requireScope(principal, 'admin');
  await dashboardOf(deps, principal, id);
  await deps.dashboards.deleteDashboard(principal.tenantId, id, (before, deleted) =>
    deleted ? dashboardAudit(deps, principal, 'dashboard.delete', id)(before, null) : undefined,
  );
  return { id, deleted: true };
}
