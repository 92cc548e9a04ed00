// The retention form ⇄ the route ⇄ the body of POST /v1/retention/query, and the grid's cells (share of the cohort,
// heat colour). Pure.
import type { RetentionCohort, RetentionEventBody, RetentionPeriod, RetentionQueryBody } from '../api/types';
import { filtersBody, type FilterRows } from '../funnels/funnelForm';
import { rangeFromParams, rangeToParams, resolveQueryRange, type QueryRange } from '../lib/queryRange';

/** The API's limits per period (periods counted per cohort, period 0 included). */
export const MAX_PERIODS: Record<RetentionPeriod, number> = { day: 90, week: 26 };
export const DEFAULT_PERIODS: Record<RetentionPeriod, number> = { day: 14, week: 8 };
export const DEFAULT_RETENTION_RANGE = '56d';

export interface RetentionForm extends QueryRange {
  project: string;
  startEvent: string;
  startFilters: FilterRows;
  returnEvent: string;
  returnFilters: FilterRows;
  period: RetentionPeriod;
  periods: number;
  breakdown: string;
}

function readRows(text: string | null): FilterRows {
  try {
    const v = JSON.parse(text ?? '[]') as unknown;
    return Array.isArray(v)
      ? v.filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string')
      : [];
  } catch {
    return [];
  }
}

export function retentionFromParams(params: URLSearchParams): RetentionForm {
  const period: RetentionPeriod = params.get('period') === 'day' ? 'day' : 'week';
  const periods = Number(params.get('periods'));
  return {
    project: params.get('project') ?? '',
    startEvent: params.get('start') ?? '',
    startFilters: readRows(params.get('start_filters')),
    returnEvent: params.get('return') ?? '',
    returnFilters: readRows(params.get('return_filters')),
    period,
    periods:
      Number.isInteger(periods) && periods >= 1 && periods <= MAX_PERIODS[period] ? periods : DEFAULT_PERIODS[period],
    breakdown: params.get('breakdown') ?? '',
    ...rangeFromParams(params, DEFAULT_RETENTION_RANGE),
  };
}

export function retentionToParams(form: RetentionForm): Record<string, string | undefined> {
  const rows = (r: FilterRows) => (r.length > 0 ? JSON.stringify(r) : undefined);
  return {
    project: form.project || undefined,
    start: form.startEvent,
    start_filters: rows(form.startFilters),
    return: form.returnEvent,
    return_filters: rows(form.returnFilters),
    period: form.period,
    periods: String(form.periods),
    breakdown: form.breakdown.trim() || undefined,
    ...rangeToParams(form),
  };
}

function eventBody(eventType: string, rows: FilterRows): RetentionEventBody {
  const filters = filtersBody(rows);
  return filters ? { event_type: eventType.trim(), filters } : eventType.trim();
}

export function retentionBody(form: RetentionForm, nowMs: number): RetentionQueryBody {
  const { from, to } = resolveQueryRange(form, nowMs);
  return {
    ...(form.project ? { project: form.project } : {}),
    start_event: eventBody(form.startEvent, form.startFilters),
    return_event: eventBody(form.returnEvent, form.returnFilters),
    period: form.period,
    periods: form.periods,
    from,
    to,
    ...(form.breakdown.trim() ? { breakdown: form.breakdown.trim() } : {}),
  };
}

/** One cell of the grid: period k of a cohort. */
export interface RetentionCell {
  k: number;
  /** Persons of the cohort who returned in period k; null when the period has not begun yet. */
  returned: number | null;
  /** returned / size (0..1); null when the period has not begun or the cohort is empty. */
  share: number | null;
}

export function cohortCells(cohort: RetentionCohort, periods: number): RetentionCell[] {
  return Array.from({ length: periods }, (_, k) => {
    const returned = k < cohort.returned.length ? cohort.returned[k]! : null;
    return { k, returned, share: returned === null || cohort.size === 0 ? null : returned / cohort.size };
  });
}

/**
 * The mean share of each period over the cohorts that reached it, weighted by cohort size (the "all cohorts" row):
 * Σ returned[k] / Σ size over the cohorts whose period k has begun.
 */
export function averageRow(cohorts: readonly RetentionCohort[], periods: number): RetentionCell[] {
  return Array.from({ length: periods }, (_, k) => {
    let returned = 0;
    let size = 0;
    let any = false;
    for (const c of cohorts) {
      if (k >= c.returned.length) continue;
      any = true;
      returned += c.returned[k]!;
      size += c.size;
    }
    return { k, returned: any ? returned : null, share: any && size > 0 ? returned / size : null };
  });
}

/**
 * The heat of a share: how much of the accent colour (in %) the cell's background mixes into the surface, from 0
 * (share 0) to HEAT_MAX_MIX (share 1); null when there is no share. Capped so the normal text colour stays readable on
 * it (at least 4.5:1) in the light and the dark theme. The stylesheet does the mixing (--heat on the cell).
 */
export const HEAT_MAX_MIX = 60;
export function heatMix(share: number | null): number | null {
  if (share === null || !Number.isFinite(share)) return null;
  return Math.round(Math.min(1, Math.max(0, share)) * HEAT_MAX_MIX);
}

/** 0.4567 → "45.7%". */
export const sharePercent = (share: number) => `${(Math.round(share * 1000) / 10).toFixed(1)}%`;

/** Column headers: "Day 0", "Week 3". */
export const periodLabel = (period: RetentionPeriod, k: number) => `${period === 'day' ? 'Day' : 'Week'} ${k}`;
