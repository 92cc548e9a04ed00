// The HTTP API's request and response types as the dashboard uses them (docs/api.md): derived, never copied.
//
// Why derived from the backend code rather than generated from the OpenAPI document: the document
// (functions/query/openapi.ts) describes request bodies (generated from the handlers' zod schemas) but, for most
// endpoints, not the response bodies, so a generator would leave most of these types hand-written. The handlers
// themselves return plain, JSON-ready objects, so each type below is the handler's own return type (or the zod
// schema's input type for a request body). Every import here is `import type`: erased by the compiler and by Vite,
// so no backend (Node) code reaches the bundle (api/types.test.ts checks that). A backend change to a body is
// a type error in the dashboard at once; a moved handler is a failed import here, fixed in this file only.
// When openapi.ts describes every response body, generating this file from it is the next step.
import type { z } from 'zod';
import type { DeclaredType, SchemaMode, TypeStatus } from '../../../core/catalog';
import type { Interval } from '../../../core/intervals';
import type { RetentionPeriod } from '../../../core/retention';
import type { alertRuleSchema } from '../../../functions/query/alert-rule-schema';
import type { getAlertRules, getAlerts, previewAlertRule } from '../../../functions/query/alert-rules';
import type { createApiKeySchema, getApiKeys, postApiKey } from '../../../functions/query/api-keys';
import type { declareCatalogTypeSchema, getCatalog, getViolations } from '../../../functions/query/catalog';
import type { dashboardSchema, getDashboards } from '../../../functions/query/dashboards';
import type { getErasure } from '../../../functions/query/erasure';
import type { exploreEvents } from '../../../functions/query/explorer';
import type {
  funnelPersons,
  funnelPersonsSchema,
  funnelQuerySchema,
  queryFunnel,
} from '../../../functions/query/funnels';
import type { readStatus } from '../../../functions/query/freshness';
import type { queryRetention } from '../../../functions/query/retention';
import type { retentionQuerySchema } from '../../../functions/query/retention-schema';
import type { getPerson, getPersonEvents, searchUsers } from '../../../functions/query/people';
import type { readMetric } from '../../../functions/query/metrics';
import type { readBreakdown } from '../../../functions/query/breakdown';
import type { getTenant, updateTenantSchema } from '../../../functions/query/tenant';
import type { createProjectSchema, getProjects, updateProjectSchema } from '../../../functions/query/projects';

export type { DeclaredType, SchemaMode, TypeStatus };

/** The JSON body a handler answers with. */
type BodyOf<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
type ItemOf<A> = A extends readonly (infer T)[] ? T : never;

// ---------- events and metrics ----------

/** `GET /v1/events` */
export type EventsPage = BodyOf<typeof exploreEvents>;
export type StoredEvent = ItemOf<EventsPage['events']>;

/** `GET /v1/metrics` */
export type MetricSeries = BodyOf<typeof readMetric>;
export type MetricPoint = ItemOf<MetricSeries['points']>;
/** count | unique_users | sum:<path> | avg:<path> | p50:<path> | p90:<path> | p95:<path> | p99:<path> */
export type MetricName = MetricSeries['metric'];
export type MetricInterval = Interval;

/** The points of the range before, with `compare=previous` (docs/api.md#comparison). */
export type PreviousRange = NonNullable<MetricSeries['previous']>;

/** `GET /v1/metrics?…&breakdown=<path>&limit=N`: one series per value of the property, `$other` and `$none` included. */
export type BreakdownAnswer = BodyOf<typeof readBreakdown>;
export type BreakdownSeries = ItemOf<BreakdownAnswer['series']>;
/**
 * Any `GET /v1/metrics` answer: the plain one, or with a breakdown. `timezone` (the zone of the 1h/1d buckets) is
 * added by the route (functions/query/metrics.ts getMetrics), after readMetric/readBreakdown.
 */
export type MetricAnswer = MetricSeries &
  Partial<Pick<BreakdownAnswer, 'breakdown' | 'source' | 'series'>> & { timezone?: string };

/** `GET /v1/status` */
export type StatusBody = BodyOf<typeof readStatus>;

// ---------- dashboards ----------

/** Body of `POST`/`PUT /v1/dashboards…`. */
export type DashboardInput = z.input<typeof dashboardSchema>;
/** A widget as the editor holds it: the request shape (a new widget has no id yet). */
export type Widget = ItemOf<DashboardInput['widgets']>;
/**
 * `GET /v1/dashboards` (one of them). Its widgets passed dashboardSchema when they were saved (the default ones
 * are built valid), so they have the request shape, which types `interval` more narrowly than core/dashboards.
 */
export type Dashboard = Omit<ItemOf<BodyOf<typeof getDashboards>['dashboards']>, 'widgets'> & { widgets: Widget[] };
export type WidgetType = Widget['type'];
export type WidgetQuery = NonNullable<Widget['query']>;
/** A saved funnel (a `funnel` widget's query.funnel): the body of `POST /v1/funnels/query` without from/to. */
export type SavedFunnel = NonNullable<WidgetQuery['funnel']>;
/** A saved retention (a `retention` widget's query.retention): the body of `POST /v1/retention/query` without from/to. */
export type SavedRetention = NonNullable<WidgetQuery['retention']>;

// ---------- catalog and projects ----------

/** `GET /v1/catalog` (one project). */
export type CatalogProject = ItemOf<BodyOf<typeof getCatalog>['projects']>;
export type CatalogEntry = ItemOf<CatalogProject['event_types']>;
export type CatalogProperty = ItemOf<CatalogEntry['properties']>;
/** Body of `PUT /v1/catalog/{event_type}`. */
export type DeclareEventTypeInput = z.input<typeof declareCatalogTypeSchema>;
/** `GET /v1/catalog/violations` (one of them). */
export type Violation = ItemOf<BodyOf<typeof getViolations>['violations']>;

/** `GET /v1/projects` (one of them). */
export type Project = ItemOf<BodyOf<typeof getProjects>['projects']>;
export type CreateProjectInput = z.input<typeof createProjectSchema>;
export type UpdateProjectInput = z.input<typeof updateProjectSchema>;

// ---------- API keys ----------

/** `GET /v1/api-keys` (one of them; never the key). */
export type ApiKeyInfo = ItemOf<BodyOf<typeof getApiKeys>['api_keys']>;
/** `POST /v1/api-keys`: the key is in this response only. */
export type CreatedApiKey = BodyOf<typeof postApiKey>;
export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;
export type Scope = ItemOf<CreateApiKeyInput['scopes']>;

// ---------- alerts ----------

/**
 * `GET /v1/alert-rules` (one rule with its state), and the answer to `POST`/`PUT`: webhook secrets never, except a
 * generated one in the answer that generated it (shown once).
 */
export type AlertRuleView = ItemOf<BodyOf<typeof getAlertRules>['rules']>;
export type AlertRuleChannelView = ItemOf<AlertRuleView['channels']>;
/** Body of `POST /v1/alert-rules` and `PUT /v1/alert-rules/{id}`. */
export type AlertRuleBody = z.input<typeof alertRuleSchema>;
export type AlertRuleChannelBody = ItemOf<NonNullable<AlertRuleBody['channels']>>;
export type AlertOp = NonNullable<AlertRuleBody['condition']>['op'];
/**
 * Body of `POST /v1/alert-rules/preview`: a rule body without the fields it may leave out (the handler's schema
 * types `rule` as any object and parses it with alertRuleSchema, `name` defaulting to "preview").
 */
export interface AlertPreviewBody {
  rule: Partial<AlertRuleBody>;
  from: string;
  to?: string;
}

/** `GET /v1/alerts` (one state change, with its deliveries). */
export type AlertHistoryEntry = ItemOf<BodyOf<typeof getAlerts>['alerts']>;
export type Delivery = ItemOf<AlertHistoryEntry['deliveries']>;
/** `POST /v1/alert-rules/preview` */
export type PreviewResult = BodyOf<typeof previewAlertRule>;

// ---------- tenant ----------

/** `GET /v1/tenant` (docs/api.md#tenant): the zone hour/day buckets and every time on screen are in, and more. */
export type TenantBody = BodyOf<typeof getTenant>;
/** Body of `PATCH /v1/tenant`. */
export type TenantPatch = z.input<typeof updateTenantSchema>;

// ---------- funnels (docs/api.md#funnels) ----------

/** Body of `POST /v1/funnels/query`. */
export type FunnelQueryBody = z.input<typeof funnelQuerySchema>;
export type FunnelStepBody = ItemOf<FunnelQueryBody['steps']>;
export type FunnelExclusionBody = ItemOf<NonNullable<FunnelQueryBody['exclusions']>>;
export type FunnelOrder = NonNullable<FunnelQueryBody['order']>;
/** Property path → value; matches like prop.<path>=<value> of GET /v1/events. */
export type StepFilters = NonNullable<FunnelStepBody['filters']>;
/** Body of `POST /v1/funnels/persons`. */
export type FunnelPersonsBody = z.input<typeof funnelPersonsSchema>;
export type FunnelPersonStatus = NonNullable<FunnelPersonsBody['status']>;
/** `POST /v1/funnels/query` */
export type FunnelAnswer = BodyOf<typeof queryFunnel>;
export type FunnelStepResult = ItemOf<FunnelAnswer['steps']>;
/** `POST /v1/funnels/persons` */
export type FunnelPersonsPage = BodyOf<typeof funnelPersons>;
export type FunnelPerson = ItemOf<FunnelPersonsPage['persons']>;

// ---------- retention (docs/api.md#retention) ----------

export type { RetentionPeriod };
/** Body of `POST /v1/retention/query` (its rules: core/retention.ts parseRetentionQuery). */
export type RetentionQueryBody = z.input<typeof retentionQuerySchema>;
/** A start or return event: a type, or a type with property filters (prop.<path>=<value> rules). */
export type RetentionEventBody = RetentionQueryBody['start_event'];
/** `POST /v1/retention/query` */
export type RetentionAnswer = BodyOf<typeof queryRetention>;
/** returned[k]: persons of the cohort with a return event in period k; periods not begun yet are left out. */
export type RetentionCohort = ItemOf<RetentionAnswer['cohorts']>;

// ---------- people (docs/api.md#people) ----------

/** `GET /v1/users/{id}`: the person of any of its ids. */
export type Person = BodyOf<typeof getPerson>;
/** One id of a person, with its own counts. */
export type PersonId = ItemOf<Person['ids']>;
/** `GET /v1/users?q=` (one page). */
export type PersonSearchPage = BodyOf<typeof searchUsers>;
export type PersonSummary = ItemOf<PersonSearchPage['users']>;
/**
 * `GET /v1/users/{id}/events` (one page, newest first). Its events carry no project (the page names it); the
 * dashboard gives each the page's, so they are explorer rows (api/analytics.ts parsePersonEvents).
 */
export type PersonEventsPage = Omit<BodyOf<typeof getPersonEvents>, 'events'> & { events: StoredEvent[] };

// ---------- erasure (docs/api.md#erasure-and-access) ----------

/** The 202 of `DELETE /v1/users/{id}` (deleteUser returns it as an HTTP result) and `GET /v1/erasures/{job_id}`. */
export type ErasureJob = BodyOf<typeof getErasure>;
export type ErasureStatus = ErasureJob['status'];

// ---------- value lists of the types above (for selects) ----------

/** Every member of the union T, checked by the compiler (a missing or extra member is a type error). */
const allOf =
  <T extends string>() =>
  <const L extends readonly T[]>(
    ...list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : ['missing', Exclude<T, L[number]>])
  ): L =>
    list;

export const SCHEMA_MODES = allOf<SchemaMode>()('open', 'strict');
export const TYPE_STATUSES = allOf<TypeStatus>()('active', 'deprecated');
export const DECLARABLE_TYPES = allOf<DeclaredType>()('string', 'number', 'boolean', 'object', 'array');
export const SCOPES = allOf<Scope>()('ingest', 'read', 'admin');
export const ALERT_OPS = allOf<AlertOp>()('>', '>=', '<', '<=', '==');
