// The body of POST/PUT /v1/alert-rules (docs/api.md#alert-rules-and-alerts) as a zod schema, and its normalization into a stored spec.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../../core/intervals';
import { ALERT_OPS, MAX_WINDOW_MS, MIN_WINDOW_MS } from '../../core/alert-rule';
import { webhookUrlProblem } from '../../core/webhook';
import { propertyFilters } from '../http/request';

const duration = (what: string, maxMs: number, minMs = 0) =>
  z.string().refine(
    (v) => {
      const ms = parseDuration(v);
      return ms !== undefined && ms >= minMs && ms <= maxMs;
    },
    `${what} must be a duration such as 30s, 5m, 1h or 1d, from ${minMs / 1000}s to ${maxMs / 3_600_000}h`,
  );

const eventType = z
  .string()
  .min(1)
  .max(200)
  .overwrite((s) => s.normalize('NFC')); // as ingest stores it (overwrite keeps it a string in OpenAPI)
const metricName = z
  .string()
  .regex(
    /^(count|unique_users|ratio|anomaly|(sum|avg|p50|p90|p95|p99):[^.\s]+(\.[^.\s]+){0,5})$/,
    'metric must be count, unique_users, sum:<path>, avg:<path>, p50:/p90:/p95:/p99:<path>, ratio or anomaly',
  );

/**
 * A filter key is what follows `prop.` in GET /v1/metrics, checked by the very same code: a property name or a dotted
 * path of at most 6 non-empty names; any other character (spaces included) is part of the name.
 */
function filterKeyProblem(k: string): string | null {
  try {
    propertyFilters(new URLSearchParams([[`prop.${k}`, '']]));
    return null;
  } catch {
    return 'filter keys must be a property name or a dotted path of at most 6 non-empty names (as in prop.<path> of GET /v1/metrics), e.g. "plan", "order.region" or "shipping method"';
  }
}

/**
 * `group_by` (a multi-alert, docs/api.md#alert-rules-and-alerts): a property name or dotted path of at most 6 names,
 * the same grammar as a filter key; the name as ingest stores it (NFC).
 */
const groupBy = z
  .string()
  .max(200, 'group_by must be at most 200 characters')
  .overwrite((s) => s.normalize('NFC'))
  .superRefine((v, ctx) => {
    const names = v.split('.');
    if (v.length === 0 || names.some((n) => n.length === 0))
      ctx.addIssue({
        code: 'custom',
        message:
          'group_by must be a property name or a dotted path of non-empty names, e.g. "country" or "geo.country" (no leading, trailing or double dots)',
      });
    else if (names.length > 6)
      ctx.addIssue({
        code: 'custom',
        message: `group_by may be at most 6 names deep (got ${names.length}); group by a shallower property`,
      });
  });

const webhook = z.strictObject({
  type: z.literal('webhook'),
  url: z.string().superRefine((v, ctx) => {
    const problem = webhookUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `url ${problem}` });
  }),
  secret: z
    .string()
    .min(16, 'secret must be at least 16 characters (or leave it out and one is generated and shown once)')
    .max(200)
    .optional(),
});
const email = z.strictObject({
  type: z.literal('email'),
  to: z.array(z.email('to must hold e-mail addresses')).min(1).max(20),
});

export const alertRuleSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    project: z.string().min(1).max(63).nullable().optional(),
    event_type: eventType.optional(),
    metric: metricName.default('count'),
    numerator: eventType.optional(),
    denominator: eventType.optional(),
    filter: z
      .record(z.string(), z.union([z.string().max(500), z.number(), z.boolean()]))
      .superRefine((f, ctx) => {
        for (const k of Object.keys(f)) {
          const problem = filterKeyProblem(k);
          if (problem) return ctx.addIssue({ code: 'custom', path: [k], message: problem });
        }
      })
      .refine((f) => Object.keys(f).length <= 10, 'at most 10 filter properties')
      .overwrite((f) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k.normalize('NFC'), v]))) // keys as ingest stores them
      .optional(),
    condition: z.strictObject({ op: z.enum(ALERT_OPS), threshold: z.number().finite() }).optional(),
    window: duration('window', MAX_WINDOW_MS, MIN_WINDOW_MS).refine(
      (v) => parseDuration(v)! % MIN_WINDOW_MS === 0,
      'window must be a multiple of 10s',
    ),
    for: duration('for', 24 * 3_600_000).default('0s'),
    cooldown: duration('cooldown', 7 * 86_400_000).default('0s'),
    enabled: z.boolean().default(true),
    channels: z
      .array(z.discriminatedUnion('type', [webhook, email]))
      .max(10)
      .default([]),
    anomaly: z
      .strictObject({
        of: metricName
          .refine(
            (m) => m !== 'ratio' && m !== 'anomaly',
            'anomaly.of must be count, unique_users, sum:<path>, avg:<path> or p50:/p90:/p95:/p99:<path>',
          )
          .default('count'),
        sensitivity: z.number().min(0.5).max(20).default(3),
        direction: z.enum(['above', 'below', 'both']).default('both'),
        baseline_windows: z.number().int().min(3).max(500).default(12),
      })
      .optional(),
    group_by: groupBy.optional(),
  })
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (r.metric === 'ratio') {
      if (!r.numerator || !r.denominator)
        issue(
          'numerator',
          'a ratio rule needs numerator and denominator event types, e.g. login_failed / login_attempt',
        );
    } else if (!r.event_type) issue('event_type', 'is required (the event type the rule watches)');
    if (r.metric !== 'ratio' && (r.numerator || r.denominator))
      issue('numerator', 'numerator and denominator belong to ratio rules only');
    if (r.metric === 'anomaly') {
      if (r.condition) issue('condition', 'anomaly rules take anomaly.sensitivity instead of a condition');
      const windowMs = parseDuration(r.window) ?? 0;
      const windows = (r.anomaly?.baseline_windows ?? 12) + 1;
      if (windowMs * windows > MAX_WINDOW_MS)
        issue(
          'anomaly',
          `window × (baseline_windows + 1) must fit in 24h (10s data is kept 24h); got ${windows} windows of ${r.window}`,
        );
    } else {
      if (!r.condition) issue('condition', 'is required, e.g. {"op": ">", "threshold": 10}');
      if (r.anomaly) issue('anomaly', 'belongs to metric "anomaly" rules only');
    }
    if (r.group_by !== undefined && r.metric === 'anomaly')
      issue(
        'group_by',
        'is not supported with metric "anomaly" (its band is learned from the whole rule\'s past windows); use a count, unique_users, sum, avg, percentile or ratio rule with group_by, or one anomaly rule per segment with a filter',
      );
  });

export type AlertRuleInput = z.infer<typeof alertRuleSchema>;

/** The stored spec: the input with defaults applied and every webhook carrying a secret. */
export type AlertRuleSpec = AlertRuleInput & {
  channels: ({ type: 'webhook'; url: string; secret: string } | { type: 'email'; to: string[] })[];
};

/**
 * Gives every webhook channel a secret: the one sent, else the previous one of the same URL (PUT without
 * secrets keeps them), else a new one. Returns the spec and the secrets generated now (shown once).
 */
export function withSecrets(
  input: AlertRuleInput,
  previous: AlertRuleSpec | null,
): { spec: AlertRuleSpec; generated: Map<number, string> } {
  const generated = new Map<number, string>();
  const channels = input.channels.map((c, i) => {
    if (c.type === 'email') return c;
    const kept = previous?.channels.find((p) => p.type === 'webhook' && p.url === c.url) as
      { secret: string } | undefined;
    const secret = c.secret ?? kept?.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    if (!c.secret && !kept) generated.set(i, secret);
    return { type: 'webhook' as const, url: c.url, secret };
  });
  return { spec: { ...input, channels }, generated };
}
