// Every endpoint the dashboard uses beyond events and metrics: one typed function each.
// Bodies get a light shape check (the fields the UI relies on), then are trusted as typed; the types come from
// ./types (derived from the backend), the one module the screens take API types from.
import type { ApiClient, QueryParams } from './client';
import { expectArray, expectObject, expectString } from './shape';
import type {
  AlertHistoryEntry,
  AlertPreviewBody,
  AlertRuleBody,
  AlertRuleView,
  ApiKeyInfo,
  CatalogProject,
  CreateApiKeyInput,
  CreatedApiKey,
  CreateProjectInput,
  Dashboard,
  DashboardInput,
  DeclareEventTypeInput,
  PreviewResult,
  Project,
  StatusBody,
  TenantBody,
  TenantPatch,
  UpdateProjectInput,
  Violation,
  Widget,
} from './types';

// ---------- parsers ----------

function listOf<T>(field: string, check: (item: Record<string, unknown>, what: string) => void) {
  return (body: unknown): T[] =>
    expectArray(expectObject(body, 'response')[field], field).map((item, i) => {
      const obj = expectObject(item, `${field}[${i}]`);
      check(obj, `${field}[${i}]`);
      return obj as T;
    });
}

const hasId = (o: Record<string, unknown>, what: string) => void expectString(o.id, `${what}.id`);

export function parseDashboard(body: unknown, what = 'dashboard'): Dashboard {
  const obj = expectObject(body, what);
  expectString(obj.id, `${what}.id`);
  expectString(obj.name, `${what}.name`);
  expectArray(obj.widgets, `${what}.widgets`).forEach((w, i) => {
    const widget = expectObject(w, `${what}.widgets[${i}]`);
    expectString(widget.type, `${what}.widgets[${i}].type`);
    if (widget.query !== undefined) expectObject(widget.query, `${what}.widgets[${i}].query`);
  });
  return {
    ...(obj as unknown as Dashboard),
    widgets: (obj.widgets as Widget[]).map((w) => ({ ...w, title: w.title ?? '', query: w.query ?? {} })),
  };
}

export const parseDashboards = (body: unknown): Dashboard[] =>
  expectArray(expectObject(body, 'response').dashboards, 'dashboards').map((d, i) =>
    parseDashboard(d, `dashboards[${i}]`),
  );

const asIs =
  <T>(what: string) =>
  (body: unknown): T =>
    expectObject(body, what) as T;

// ---------- endpoints ----------

export const api = {
  status: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/status', { signal, parse: asIs<StatusBody>('status') }),

  tenant: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/tenant', {
      signal,
      parse: (b) =>
        ({
          ...expectObject(b, 'tenant'),
          timezone: expectString(expectObject(b, 'tenant').timezone, 'timezone'),
        }) as TenantBody,
    }),
  updateTenant: (c: ApiClient, body: TenantPatch) =>
    c.send('PATCH', '/v1/tenant', { body, parse: asIs<TenantBody>('tenant') }),

  dashboards: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/dashboards', { signal, parse: parseDashboards }),
  createDashboard: (c: ApiClient, body: DashboardInput) =>
    c.send('POST', '/v1/dashboards', { body, parse: (b) => parseDashboard(b) }),
  saveDashboard: (c: ApiClient, id: string, body: DashboardInput) =>
    c.send('PUT', `/v1/dashboards/${encodeURIComponent(id)}`, { body, parse: (b) => parseDashboard(b) }),
  deleteDashboard: (c: ApiClient, id: string) =>
    c.send('DELETE', `/v1/dashboards/${encodeURIComponent(id)}`, {
      parse: asIs<{ id: string; deleted: boolean }>('response'),
    }),

  catalog: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/catalog', {
      signal,
      parse: listOf<CatalogProject>('projects', (o, w) => void expectArray(o.event_types, `${w}.event_types`)),
    }),
  declareEventType: (c: ApiClient, eventType: string, body: DeclareEventTypeInput) =>
    c.send('PUT', `/v1/catalog/${encodeURIComponent(eventType)}`, { body, parse: asIs<unknown>('response') }),
  violations: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/catalog/violations', {
      signal,
      parse: listOf<Violation>('violations', (o, w) => void expectString(o.event_type, `${w}.event_type`)),
    }),

  projects: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/projects', {
      signal,
      parse: listOf<Project>('projects', (o, w) => void expectString(o.slug, `${w}.slug`)),
    }),
  createProject: (c: ApiClient, body: CreateProjectInput) =>
    c.send('POST', '/v1/projects', { body, parse: asIs<Project>('project') }),
  updateProject: (c: ApiClient, slug: string, body: UpdateProjectInput) =>
    c.send('PATCH', `/v1/projects/${encodeURIComponent(slug)}`, { body, parse: asIs<Project>('project') }),

  apiKeys: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/api-keys', { signal, parse: listOf<ApiKeyInfo>('api_keys', hasId) }),
  createApiKey: (c: ApiClient, body: CreateApiKeyInput) =>
    c.send('POST', '/v1/api-keys', { body, parse: asIs<CreatedApiKey>('api key') }),
  revokeApiKey: (c: ApiClient, id: string) =>
    c.send('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`, { parse: asIs<unknown>('response') }),

  alertRules: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/alert-rules', { signal, parse: listOf<AlertRuleView>('rules', hasId) }),
  createAlertRule: (c: ApiClient, body: AlertRuleBody) =>
    c.send('POST', '/v1/alert-rules', { body, parse: asIs<AlertRuleView>('rule') }),
  updateAlertRule: (c: ApiClient, id: string, body: AlertRuleBody) =>
    c.send('PUT', `/v1/alert-rules/${encodeURIComponent(id)}`, { body, parse: asIs<AlertRuleView>('rule') }),
  deleteAlertRule: (c: ApiClient, id: string) =>
    c.send('DELETE', `/v1/alert-rules/${encodeURIComponent(id)}`, { parse: asIs<unknown>('response') }),
  previewAlertRule: (c: ApiClient, body: AlertPreviewBody, signal?: AbortSignal) =>
    c.send('POST', '/v1/alert-rules/preview', { body, signal, parse: asIs<PreviewResult>('preview') }),
  alerts: (c: ApiClient, query: QueryParams, signal?: AbortSignal) =>
    c.get('/v1/alerts', {
      query,
      signal,
      parse: (b) => ({
        alerts: listOf<AlertHistoryEntry>('alerts', hasId)(b),
        next_before: (expectObject(b, 'response').next_before as string | null) ?? null,
      }),
    }),
};
