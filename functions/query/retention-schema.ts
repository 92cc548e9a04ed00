// The body of POST /v1/retention/query as a zod schema: its shape (for the dashboard's types, saved retention widgets
// and the OpenAPI document) with every rule delegated to core/retention.ts parseRetentionQuery, so the rules live in
// one place. Only the rules that need the clock and the tenant (how far `to` lies ahead, raw retention) are left to
// the route, which parses with the real now and retention.
import { z } from 'zod';
import { AppError } from '../../core/errors';
import { parseRetentionQuery, type RetentionQuery } from '../../core/retention';

const filters = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .nullable()
  .optional();
const retentionEvent = z.union([z.string(), z.strictObject({ event_type: z.string(), filters })]);
const time = z.union([z.string(), z.number()]);

/** The shape only (no rules): a base to pick or omit fields from. */
export const retentionBodySchema = z.strictObject({
  project: z.string().nullable().optional(),
  start_event: retentionEvent,
  return_event: retentionEvent,
  period: z.enum(['day', 'week']),
  periods: z.number().int(),
  from: time,
  to: time,
  breakdown: z.string().nullable().optional(),
  limit: z.number().int().optional(),
});

/** Far enough ahead that the "to is too far ahead" rule never fires; retention Infinity keeps any `from`. */
const NO_CLOCK_NOW_MS = 253_402_300_799_999;

/**
 * The rules of core/retention.ts parseRetentionQuery that do not depend on the clock or the tenant, as zod issues
 * (the parser's own message; `path` prefixes the issue's path). Returns the parsed query when the body passes.
 */
export function checkRetentionRules(
  body: unknown,
  ctx: { addIssue: (issue: { code: 'custom'; path: PropertyKey[]; message: string }) => void },
  path: PropertyKey[] = [],
): RetentionQuery | undefined {
  try {
    return parseRetentionQuery(body, NO_CLOCK_NOW_MS, Number.POSITIVE_INFINITY);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    ctx.addIssue({ code: 'custom', path, message: e.message });
    return undefined;
  }
}

/** The body of POST /v1/retention/query: its shape and every rule but the clock's and the tenant's. */
export const retentionQuerySchema = retentionBodySchema.superRefine((body, ctx) => {
  checkRetentionRules(body, ctx);
});
