// GET /v1/events/export (docs/api.md#export): every matching event of [from, to) exactly once, in bounded pages that
// each say how to continue. Parse → core/event-export.ts → map to a text body and headers.
import { badRequest, forbidden } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import {
  cursorParamsDiffer,
  decodeExportCursor,
  EXPORT_DEFAULT_LIMIT,
  EXPORT_FORMATS,
  EXPORT_MAX_LIMIT,
  exportPage,
  resumeOrStart,
  type ExportFormat,
  type ExportParams,
} from '../../core/event-export';
import type { HttpResult } from '../http/middleware';
import { singleParam } from '../http/request';
import { projectScope, readEventFilters } from './event-filters';

export const EXPORT_PATH = '/v1/events/export';

/** The parameters a cursor fixes: with a cursor, none or exactly the first page's. */
const FIXED = ['from', 'to', 'project', 'event_type', 'user_id', 'session_id', 'format', 'limit'];

function formatParam(params: URLSearchParams): ExportFormat {
  const raw = singleParam(params, 'format');
  if (raw === null || raw === '') return 'ndjson';
  if ((EXPORT_FORMATS as readonly string[]).includes(raw)) return raw as ExportFormat;
  throw badRequest(
    'invalid_parameter',
    `format=${JSON.stringify(raw.slice(0, 60))} is not supported; use format=ndjson (the default) or format=csv.`,
  );
}

function limitParam(params: URLSearchParams): number {
  const raw = singleParam(params, 'limit');
  if (raw === null || raw === '') return EXPORT_DEFAULT_LIMIT;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > EXPORT_MAX_LIMIT)
    throw badRequest(
      'invalid_parameter',
      `limit must be a whole number from 1 to ${EXPORT_MAX_LIMIT} (rows per page).`,
    );
  return Number(raw);
}

/** The export the query string asks for, or null when it gives none of the parameters a cursor fixes. */
function requestedParams(params: URLSearchParams, withCursor: boolean): ExportParams | null {
  const given = [...params.keys()].some((k) => FIXED.includes(k) || k.startsWith('prop.'));
  if (!given) return null;
  const filters = readEventFilters(params);
  if (withCursor && (filters.fromMs === undefined || filters.toMs === undefined)) throw cursorParamsDiffer();
  if (filters.fromMs === undefined || filters.toMs === undefined)
    throw badRequest(
      'invalid_parameter',
      'from and to are required; give the range to export as [from, to) (ISO-8601 or epoch milliseconds).',
    );
  return {
    fromMs: filters.fromMs,
    toMs: filters.toMs,
    project: filters.project,
    eventTypes: filters.eventTypes,
    userId: filters.userId,
    sessionId: filters.sessionId,
    props: filters.props,
    format: formatParam(params),
    limit: limitParam(params),
  };
}

export async function exportEvents(deps: Adapters, principal: Principal, params: URLSearchParams): Promise<HttpResult> {
  const rawCursor = singleParam(params, 'cursor');
  const requested = requestedParams(params, Boolean(rawCursor));
  const cursor = rawCursor ? decodeExportCursor(rawCursor, await deps.exports.cursorKey(), principal.tenantId) : null;
  const started = resumeOrStart(requested, cursor);
  // A cursor's project comes from whoever started the export: a key bound to another project is refused without
  // naming it (readableProjects would).
  if (
    cursor &&
    principal.projectSlug &&
    started.params.project !== null &&
    started.params.project !== principal.projectSlug
  )
    throw forbidden(
      `This key is bound to project "${principal.projectSlug}" and cannot continue an export of another project; start one with this key.`,
    );
  const projectIds = await projectScope(deps, principal, started.params.project);
  const page = await exportPage(
    { tenantId: principal.tenantId, projectIds, store: deps.exports, now: deps.now },
    started.params,
    started.cursor,
  );
  const headers: Record<string, string> = {
    'Content-Type': started.params.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Export-Cutoff': page.cutoff,
    'X-Export-Position': page.position,
    'X-Export-Progress': page.fraction.toFixed(4),
    'X-Export-Rows': String(page.rows),
    'X-Export-Done': String(page.done),
    'X-Export-Complete': page.next === null ? 'true' : 'false',
  };
  if (started.params.format === 'csv') headers['Content-Disposition'] = 'attachment; filename="events-export.csv"';
  if (page.next !== null) {
    headers['X-Next-Cursor'] = page.next;
    // The cursor alone continues the export (it carries the parameters).
    headers['Link'] = `<${EXPORT_PATH}?cursor=${page.next}>; rel="next"`;
  }
  return { statusCode: 200, headers, body: page.body };
}
