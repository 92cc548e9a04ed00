// The read and configuration API: metrics, status, explorer, projects, keys, catalog, health (API Gateway HTTP API, payload v2).
import { httpHandler, json } from '../http/middleware';
import { routeRequests, type Route } from '../http/router';
import { getProjects, patchProject, postProject } from './projects';
import { getTenant, patchTenant } from './tenant';
import { deleteApiKey, getApiKeys, postApiKey } from './api-keys';
import { getCatalog, getViolations, putCatalogType } from './catalog';
import { unavailable } from '../../core/errors';
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import { getMetrics } from './metrics';
import { funnelPersons, personsBodyOfQuery, queryFunnel } from './funnels';
import { exploreEvents } from './explorer';
import { getPerson, getPersonEvents, searchUsers } from './people';
import { exportEvents } from './export';
import { readStatus } from './freshness';
import { readiness } from './health';
import { OPENAPI } from './openapi';
import { queryRetention } from './retention';
import { deleteDashboardById, getDashboardById, getDashboards, postDashboard, putDashboard } from './dashboards';
import {
  deleteAlertRule,
  getAlertRule,
  getAlertRules,
  getAlerts,
  postAlertRule,
  previewAlertRule,
  putAlertRule,
} from './alert-rules';
import type { RouteKeyOf } from '../routes';
import { deleteUser, exportUser, getErasure } from './erasure';
import { AUTH_ROUTES } from '../auth/routes';
import { getAuditLog } from './audit-log';

const CONFIG_BODY_LIMIT = 64 * 1024;

export const QUERY_ROUTES: Record<RouteKeyOf<'query'>, Route> = {
  'GET /v1/metrics': {
    auth: 'read',
    handle: getMetrics,
  },
  'POST /v1/funnels/query': {
    auth: 'read',
    handle: async (deps, r) => json(200, await queryFunnel(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'POST /v1/funnels/persons': {
    auth: 'read',
    handle: async (deps, r) => json(200, await funnelPersons(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'GET /v1/funnels/persons': {
    auth: 'read',
    handle: async (deps, r) => json(200, await funnelPersons(deps, r.principal, personsBodyOfQuery(r.query()))),
  },
  'GET /v1/status': { auth: 'read', handle: async (deps, r) => json(200, await readStatus(deps, r.principal)) },
  'GET /v1/events': {
    auth: 'read',
    handle: async (deps, r) => json(200, await exploreEvents(deps, r.principal, r.query())),
  },
  'GET /v1/events/export': {
    auth: 'read',
    handle: (deps, r) => exportEvents(deps, r.principal, r.query()),
  },
  'GET /v1/users': {
    auth: 'read',
    handle: async (deps, r) => json(200, await searchUsers(deps, r.principal, r.query())),
  },
  'GET /v1/users/{id}': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getPerson(deps, r.principal, r.param('id'), r.query())),
  },
  'GET /v1/users/{id}/events': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getPersonEvents(deps, r.principal, r.param('id'), r.query())),
  },
  'GET /v1/tenant': { auth: 'read', handle: async (deps, r) => json(200, await getTenant(deps, r.principal)) },
  'PATCH /v1/tenant': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await patchTenant(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'GET /v1/projects': { auth: 'read', handle: async (deps, r) => json(200, await getProjects(deps, r.principal)) },
  'POST /v1/projects': {
    auth: 'admin',
    handle: async (deps, r) => json(201, await postProject(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'PATCH /v1/projects/{slug}': {
    auth: 'admin',
    handle: async (deps, r) =>
      json(200, await patchProject(deps, r.principal, r.param('slug'), r.body(CONFIG_BODY_LIMIT))),
  },
  'GET /v1/api-keys': { auth: 'admin', handle: async (deps, r) => json(200, await getApiKeys(deps, r.principal)) },
  'POST /v1/api-keys': {
    auth: 'admin',
    handle: async (deps, r) => json(201, await postApiKey(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'DELETE /v1/api-keys/{id}': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await deleteApiKey(deps, r.principal, r.param('id'))),
  },
  'GET /v1/catalog': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getCatalog(deps, r.principal, r.query())),
  },
  'GET /v1/catalog/violations': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getViolations(deps, r.principal, r.query())),
  },
  'PUT /v1/catalog/{event_type}': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) => {
      const { created, entry } = await putCatalogType(
        deps,
        r.principal,
        r.param('event_type'),
        r.body(CONFIG_BODY_LIMIT),
      );
      return json(created ? 201 : 200, entry);
    },
  },
  'GET /v1/alert-rules': { auth: 'read', handle: async (deps, r) => json(200, await getAlertRules(deps, r.principal)) },
  'POST /v1/alert-rules': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) => json(201, await postAlertRule(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'POST /v1/alert-rules/preview': {
    auth: 'read',
    handle: async (deps, r) => json(200, await previewAlertRule(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'GET /v1/alert-rules/{id}': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getAlertRule(deps, r.principal, r.param('id'))),
  },
  'PUT /v1/alert-rules/{id}': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) =>
      json(200, await putAlertRule(deps, r.principal, r.param('id'), r.body(CONFIG_BODY_LIMIT))),
  },
  'DELETE /v1/alert-rules/{id}': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) => json(200, await deleteAlertRule(deps, r.principal, r.param('id'))),
  },
  'GET /v1/alerts': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getAlerts(deps, r.principal, r.query())),
  },
  'GET /v1/dashboards': { auth: 'read', handle: async (deps, r) => json(200, await getDashboards(deps, r.principal)) },
  'POST /v1/dashboards': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) => json(201, await postDashboard(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  'GET /v1/dashboards/{id}': {
    auth: 'read',
    handle: async (deps, r) => json(200, await getDashboardById(deps, r.principal, r.param('id'))),
  },
  'PUT /v1/dashboards/{id}': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) =>
      json(200, await putDashboard(deps, r.principal, r.param('id'), r.body(CONFIG_BODY_LIMIT))),
  },
  'DELETE /v1/dashboards/{id}': {
    auth: 'admin',
    role: 'editor',
    handle: async (deps, r) => json(200, await deleteDashboardById(deps, r.principal, r.param('id'))),
  },
  'DELETE /v1/users/{id}': {
    auth: 'admin',
    // On Lambda, work after the response is frozen: the scheduled maintenance runs the job. Locally it starts now.
    handle: (deps, r) =>
      deleteUser(deps, r.principal, r.param('id'), r.query(), { runNow: !process.env.AWS_LAMBDA_FUNCTION_NAME }),
  },
  'GET /v1/users/{id}/export': {
    auth: 'admin',
    handle: (deps, r) => exportUser(deps, r.principal, r.param('id'), r.query()),
  },
  'GET /v1/erasures/{job_id}': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await getErasure(deps, r.principal, r.param('job_id'))),
  },
  'GET /v1/audit-log': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await getAuditLog(deps, r.principal, r.query())),
  },
  'POST /v1/retention/query': {
    auth: 'read',
    handle: async (deps, r) => json(200, await queryRetention(deps, r.principal, r.body(CONFIG_BODY_LIMIT))),
  },
  ...AUTH_ROUTES,
  'GET /v1/openapi.json': {
    auth: 'public',
    handle: async () => json(200, OPENAPI, { 'Cache-Control': 'public, max-age=300' }),
  },
  'GET /healthz': { auth: 'public', handle: async () => json(200, { status: 'ok' }) },
  'GET /readyz': {
    auth: 'public',
    handle: async (deps) => {
      const r = await readiness(deps);
      if (!r.ready)
        throw unavailable('A backing service is unreachable; see details.', 5, undefined, 'not_ready', [r.checks]);
      return json(200, { status: 'ready', checks: r.checks });
    },
  },
};

export function createQueryHandler(deps: Adapters) {
  return httpHandler(routeRequests(deps, QUERY_ROUTES));
}

export const handler = lazyHandler(() => createQueryHandler(processAdapters()));
