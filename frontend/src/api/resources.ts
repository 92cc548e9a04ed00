// Every endpoint the dashboard uses beyond events and metrics: one typed function each.
// Bodies get a light shape check (the fields the UI relies on), then are trusted as typed.
import type { ApiClient, QueryParams } from './client';
import { expectArray, expectObject, expectString } from './shape';

// ---------- shared shapes ----------

export type WidgetType = 'timeseries' | 'number' | 'table' | 'events';
export type Interval = '10s' | '1m' | '5m' | '1h' | '1d';

export interface WidgetQuery {
  event_type?: string;
  /** count | unique_users | sum:<path> | avg:<path> */
  metric?: string;
  interval?: Interval;
  /** 15m, 1h, 6h, 24h, 7d, 30d … */
  range?: string;
  project?: string;
  filter?: Record<string, string>;
}

export interface Widget {
  id?: string;
  type: WidgetType;
  title: string;
  query: WidgetQuery;
  layout?: { w: number; h: number };
}

export interface Dashboard {
  id: string;
  name: string;
  is_default: boolean;
  widgets: Widget[];
  created_at: string;
  updated_at: string;
}

export interface StatusBody {
  data_as_of: string | null;
  lag_ms: number | null;
  events_last_minute: number;
}

export interface CatalogProperty {
  name: string;
  observed_types: string[];
  declared_type: string | null;
  first_seen: string | null;
  last_seen: string | null;
}

export interface CatalogEntry {
  event_type: string;
  description: string | null;
  status: 'active' | 'deprecated';
  declared: boolean;
  first_seen: string | null;
  last_seen: string | null;
  count_24h: number;
  properties: CatalogProperty[];
}

export interface CatalogProject {
  project: string;
  schema_mode: 'open' | 'strict';
  limits?: { max_event_types: number; max_properties_per_type: number };
  event_types: CatalogEntry[];
}

export interface Violation {
  project: string;
  event_type: string;
  reason: string;
  count: number;
  first_seen: string;
  last_seen: string;
  samples: { at: string; message: string; event_id?: string }[];
}

export interface Project {
  slug: string;
  name: string;
  schema_mode: 'open' | 'strict';
  created_at: string;
}

export interface ApiKeyInfo {
  id: string;
  prefix: string;
  scopes: string[];
  project: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey {
  id: string;
  key: string;
  prefix: string;
  scopes: string[];
  project: string | null;
}

export type AlertOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

export type ChannelInput = { type: 'webhook'; url: string; secret?: string } | { type: 'email'; to: string[] };

/** Body of POST/PUT /v1/alert-rules (the threshold rules the UI edits). */
export interface AlertRuleInput {
  name: string;
  project?: string | null;
  event_type?: string;
  metric: string;
  numerator?: string;
  denominator?: string;
  filter?: Record<string, string>;
  condition?: { op: string; threshold: number };
  window: string;
  for: string;
  cooldown: string;
  enabled: boolean;
  channels: ChannelInput[];
  anomaly?: Record<string, unknown>;
}

export type ChannelView = { type: 'webhook'; url: string; has_secret: boolean; secret?: string } | { type: 'email'; to: string[] };

export interface AlertRule extends Omit<AlertRuleInput, 'channels'> {
  id: string;
  channels: ChannelView[];
  status: { state: string; since: string | null; value: number | null };
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: string;
  channel: string;
  target: string;
  status: string;
  attempts: { attempt: number; at: string; outcome: string; status_code: number | null; error: string | null; duration_ms: number | null }[];
}

export interface AlertHistoryEntry {
  id: string;
  rule_id: string;
  rule_name: string;
  from: string;
  to: string;
  value: number | null;
  threshold: number | null;
  window_ms: number;
  at: string;
  notification: string | null;
  silenced: boolean;
  error: string | null;
  deliveries: Delivery[];
}

export interface PreviewResult {
  threshold: number | null;
  op: string;
  step: string;
  fired: string[];
  transitions: { at: string; from: string; to: string; value: number | null }[];
  series: { t: string; value: number | null; state: string }[];
}

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
  return { ...(obj as unknown as Dashboard), widgets: (obj.widgets as Widget[]).map((w) => ({ ...w, title: w.title ?? '', query: w.query ?? {} })) };
}

export const parseDashboards = (body: unknown): Dashboard[] =>
  expectArray(expectObject(body, 'response').dashboards, 'dashboards').map((d, i) => parseDashboard(d, `dashboards[${i}]`));

const asIs = <T>(what: string) => (body: unknown): T => expectObject(body, what) as T;

// ---------- endpoints ----------

export const api = {
  status: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/status', { signal, parse: asIs<StatusBody>('status') }),

  dashboards: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/dashboards', { signal, parse: parseDashboards }),
  createDashboard: (c: ApiClient, body: { name: string; widgets: Widget[] }) => c.send('POST', '/v1/dashboards', { body, parse: (b) => parseDashboard(b) }),
  saveDashboard: (c: ApiClient, id: string, body: { name: string; widgets: Widget[] }) =>
    c.send('PUT', `/v1/dashboards/${encodeURIComponent(id)}`, { body, parse: (b) => parseDashboard(b) }),
  deleteDashboard: (c: ApiClient, id: string) => c.send('DELETE', `/v1/dashboards/${encodeURIComponent(id)}`, { parse: asIs<{ id: string; deleted: boolean }>('response') }),

  catalog: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/catalog', { signal, parse: listOf<CatalogProject>('projects', (o, w) => void expectArray(o.event_types, `${w}.event_types`)) }),
  declareEventType: (
    c: ApiClient,
    eventType: string,
    body: { project: string; description?: string | null; status?: string; properties?: Record<string, string | null> },
  ) => c.send('PUT', `/v1/catalog/${encodeURIComponent(eventType)}`, { body, parse: asIs<unknown>('response') }),
  violations: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/catalog/violations', { signal, parse: listOf<Violation>('violations', (o, w) => void expectString(o.event_type, `${w}.event_type`)) }),

  projects: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/projects', { signal, parse: listOf<Project>('projects', (o, w) => void expectString(o.slug, `${w}.slug`)) }),
  createProject: (c: ApiClient, body: { slug: string; name?: string; schema_mode?: string }) => c.send('POST', '/v1/projects', { body, parse: asIs<Project>('project') }),
  updateProject: (c: ApiClient, slug: string, body: { name?: string; schema_mode?: string }) =>
    c.send('PATCH', `/v1/projects/${encodeURIComponent(slug)}`, { body, parse: asIs<Project>('project') }),

  apiKeys: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/api-keys', { signal, parse: listOf<ApiKeyInfo>('api_keys', hasId) }),
  createApiKey: (c: ApiClient, body: { scopes: string[]; project?: string; name?: string }) => c.send('POST', '/v1/api-keys', { body, parse: asIs<CreatedApiKey>('api key') }),
  revokeApiKey: (c: ApiClient, id: string) => c.send('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`, { parse: asIs<unknown>('response') }),

  alertRules: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/alert-rules', { signal, parse: listOf<AlertRule>('rules', hasId) }),
  createAlertRule: (c: ApiClient, body: AlertRuleInput) => c.send('POST', '/v1/alert-rules', { body, parse: asIs<AlertRule>('rule') }),
  updateAlertRule: (c: ApiClient, id: string, body: AlertRuleInput) => c.send('PUT', `/v1/alert-rules/${encodeURIComponent(id)}`, { body, parse: asIs<AlertRule>('rule') }),
  deleteAlertRule: (c: ApiClient, id: string) => c.send('DELETE', `/v1/alert-rules/${encodeURIComponent(id)}`, { parse: asIs<unknown>('response') }),
  previewAlertRule: (c: ApiClient, body: { rule: Partial<AlertRuleInput>; from: string; to?: string }, signal?: AbortSignal) =>
    c.send('POST', '/v1/alert-rules/preview', { body, signal, parse: asIs<PreviewResult>('preview') }),
  alerts: (c: ApiClient, query: QueryParams, signal?: AbortSignal) =>
    c.get('/v1/alerts', { query, signal, parse: (b) => ({ alerts: listOf<AlertHistoryEntry>('alerts', hasId)(b), next_before: (expectObject(b, 'response').next_before as string | null) ?? null }) }),
};
