// The breakdown limit of a widget (how many values get their own series): its editor text, its checks.

/** Values with their own series when a widget names no limit (the API's default). */
export const DEFAULT_BREAKDOWN_LIMIT = 10;
/**
 * Most values a saved widget may ask for. GET /v1/metrics takes 1–100, but a dashboard widget's
 * `query.breakdown.limit` is 1–20 (core/dashboards.ts MAX_BREAKDOWN_LIMIT; checked by breakdownView.test.ts).
 */
export const MAX_WIDGET_BREAKDOWN_LIMIT = 20;

/** The one message for a limit out of range, in the editor and when saving. */
export const LIMIT_PROBLEM =
  `Top values must be a whole number from 1 to ${MAX_WIDGET_BREAKDOWN_LIMIT} (leave it empty for ` +
  `${DEFAULT_BREAKDOWN_LIMIT}); the other values are summed in “other values”.`;

/** The editor's limit text: '' is the default (no limit sent); otherwise a whole number from 1 to the maximum. */
export function parseLimitText(text: string): { limit: number | undefined; problem: string | null } {
  const trimmed = text.trim();
  if (trimmed === '') return { limit: undefined, problem: null };
  const n = /^\d{1,4}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  return Number.isInteger(n) && n >= 1 && n <= MAX_WIDGET_BREAKDOWN_LIMIT
    ? { limit: n, problem: null }
    : { limit: Number.isNaN(n) ? Number.NaN : n, problem: LIMIT_PROBLEM };
}

/** Why a widget's stored limit cannot be saved, or null (undefined: the default). */
export function limitProblem(limit: number | undefined): string | null {
  if (limit === undefined) return null;
  return Number.isInteger(limit) && limit >= 1 && limit <= MAX_WIDGET_BREAKDOWN_LIMIT ? null : LIMIT_PROBLEM;
}

/** The limit as the editor shows it. */
export function formatLimit(limit: number | undefined): string {
  return limit === undefined || Number.isNaN(limit) ? '' : String(limit);
}
