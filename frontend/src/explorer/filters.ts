// Explorer filters ⇄ the hash route's query string ⇄ GET /v1/events parameters.
import type { QueryParams } from '../api/client';
import { isoToZonedInput, zonedInputToIso } from '../lib/timezone';

export interface ExplorerFilters {
  eventTypes: string[];
  project: string;
  userId: string;
  sessionId: string;
  /** ISO-8601 (or whatever the user typed into a datetime-local field, converted). */
  from: string;
  to: string;
  props: [string, string][];
}

export const EMPTY_FILTERS: ExplorerFilters = {
  eventTypes: [],
  project: '',
  userId: '',
  sessionId: '',
  from: '',
  to: '',
  props: [],
};

export function filtersFromParams(params: URLSearchParams): ExplorerFilters {
  const props: [string, string][] = [];
  for (const [name, value] of params.entries())
    if (name.startsWith('prop.') && name.length > 5) props.push([name.slice(5), value]);
  return {
    eventTypes: params.getAll('event_type').filter((t) => t !== ''),
    project: params.get('project') ?? '',
    userId: params.get('user_id') ?? '',
    sessionId: params.get('session_id') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    props,
  };
}

/** The API's query parameters (also what the hash route carries). */
export function filtersToQuery(filters: ExplorerFilters): QueryParams {
  const query: Record<string, QueryParams[string]> = {
    event_type: filters.eventTypes.length > 0 ? filters.eventTypes : undefined,
    project: filters.project.trim() || undefined,
    user_id: filters.userId.trim() || undefined,
    session_id: filters.sessionId.trim() || undefined,
    from: filters.from || undefined,
    to: filters.to || undefined,
  };
  for (const [path, value] of filters.props) if (path.trim() !== '') query[`prop.${path.trim()}`] = value;
  return query;
}

export function filtersToRouteParams(filters: ExplorerFilters): Record<string, string | string[] | undefined> {
  const route: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(filtersToQuery(filters))) {
    if (value === undefined || value === null) continue;
    route[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return route;
}

/** ISO → the value of an <input type="datetime-local"> on the zone's wall clock ("2026-11-27T11:00:00"). */
export function isoToLocalInput(iso: string, zone = 'UTC'): string {
  return isoToZonedInput(iso, zone);
}

/** A datetime-local value, read as the zone's wall clock, → ISO; '' stays ''. */
export function localInputToIso(value: string, zone = 'UTC'): string {
  return zonedInputToIso(value, zone);
}
