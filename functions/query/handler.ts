// The read and configuration API: metrics, status, explorer, projects, keys, catalog, health (API Gateway HTTP API, payload v2).
import { httpHandler, json, type HttpEvent, type HttpResult } from '../http/middleware';
import { jsonBody, pathParam, queryParams } from '../http/request';
import { getProjects, patchProject, postProject } from './projects';
import { deleteApiKey, getApiKeys, postApiKey } from './api-keys';
import { getCatalog, getViolations, putCatalogType } from './catalog';
import { authenticate } from '../http/auth';
import { notFound, unavailable } from '../../core/errors';
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import { parseMetricsQuery, readMetric } from './metrics';
import { exploreEvents } from './explorer';
import { readStatus } from './freshness';
import { readiness } from './health';
import { OPENAPI } from './openapi';
import { deleteDashboardById, getDashboardById, getDashboards, postDashboard, putDashboard } from './dashboards';
import { deleteAlertRule, getAlertRule, getAlertRules, getAlerts, postAlertRule, previewAlertRule, putAlertRule } from './alert-rules';
import type { RouteKeyOf } from '../routes';

const CONFIG_BODY_LIMIT = 64 * 1024;

type Route = (deps: Adapters, event: HttpEvent) => Promise<HttpResult>;

export const QUERY_ROUTES: Record<RouteKeyOf<'query'>, Route> = {
  'GET /v1/metrics': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'read');
    return json(200, await readMetric(deps, principal, parseMetricsQuery(queryParams(event), deps.now())));
  },
  'GET /v1/status': async (deps, event) => json(200, await readStatus(deps, await authenticate(deps.keys, event, 'read'))),
  'GET /v1/events': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'read');
    return json(200, await exploreEvents(deps, principal, queryParams(event)));
  },
  'GET /v1/projects': async (deps, event) => json(200, await getProjects(deps, await authenticate(deps.keys, event, 'read'))),
  'POST /v1/projects': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(201, await postProject(deps, principal, jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'PATCH /v1/projects/{slug}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(200, await patchProject(deps, principal, pathParam(event, 'slug'), jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'GET /v1/api-keys': async (deps, event) => json(200, await getApiKeys(deps, await authenticate(deps.keys, event, 'admin'))),
  'POST /v1/api-keys': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(201, await postApiKey(deps, principal, jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'DELETE /v1/api-keys/{id}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(200, await deleteApiKey(deps, principal, pathParam(event, 'id')));
  },
  'GET /v1/catalog': async (deps, event) => json(200, await getCatalog(deps, await authenticate(deps.keys, event, 'read'), queryParams(event))),
  'GET /v1/catalog/violations': async (deps, event) => json(200, await getViolations(deps, await authenticate(deps.keys, event, 'read'), queryParams(event))),
  'PUT /v1/catalog/{event_type}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    const { created, entry } = await putCatalogType(deps, principal, pathParam(event, 'event_type'), jsonBody(event, CONFIG_BODY_LIMIT));
    return json(created ? 201 : 200, entry);
  },
  'GET /v1/alert-rules': async (deps, event) => json(200, await getAlertRules(deps, await authenticate(deps.keys, event, 'read'))),
  'POST /v1/alert-rules': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(201, await postAlertRule(deps, principal, jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'POST /v1/alert-rules/preview': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'read');
    return json(200, await previewAlertRule(deps, principal, jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'GET /v1/alert-rules/{id}': async (deps, event) => json(200, await getAlertRule(deps, await authenticate(deps.keys, event, 'read'), pathParam(event, 'id'))),
  'PUT /v1/alert-rules/{id}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(200, await putAlertRule(deps, principal, pathParam(event, 'id'), jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'DELETE /v1/alert-rules/{id}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(200, await deleteAlertRule(deps, principal, pathParam(event, 'id')));
  },
  'GET /v1/alerts': async (deps, event) => json(200, await getAlerts(deps, await authenticate(deps.keys, event, 'read'), queryParams(event))),
  'GET /v1/dashboards': async (deps, event) => json(200, await getDashboards(deps, await authenticate(deps.keys, event, 'read'))),
  'POST /v1/dashboards': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(201, await postDashboard(deps, principal, jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'GET /v1/dashboards/{id}': async (deps, event) => json(200, await getDashboardById(deps, await authenticate(deps.keys, event, 'read'), pathParam(event, 'id'))),
  'PUT /v1/dashboards/{id}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(200, await putDashboard(deps, principal, pathParam(event, 'id'), jsonBody(event, CONFIG_BODY_LIMIT)));
  },
  'DELETE /v1/dashboards/{id}': async (deps, event) => {
    const principal = await authenticate(deps.keys, event, 'admin');
    return json(200, await deleteDashboardById(deps, principal, pathParam(event, 'id')));
  },
  'GET /v1/openapi.json': async () => json(200, OPENAPI, { 'Cache-Control': 'public, max-age=300' }),
  'GET /healthz': async () => json(200, { status: 'ok' }),
  'GET /readyz': async (deps) => {
    const r = await readiness(deps);
    if (!r.ready) throw unavailable('A backing service is unreachable; see details.', 5, undefined, 'not_ready', [r.checks]);
    return json(200, { status: 'ready', checks: r.checks });
  },
};

export function createQueryHandler(deps: Adapters) {
  return httpHandler(async (event) => {
    const routes = QUERY_ROUTES as Record<string, Route>;
    const route = routes[event.routeKey] ?? routes[`${event.requestContext.http.method} ${event.rawPath}`];
    if (!route) throw notFound(`No route ${event.requestContext.http.method} ${event.rawPath}; see GET /v1/openapi.json.`);
    return route(deps, event);
  });
}

export const handler = lazyHandler(() => createQueryHandler(processAdapters()));
