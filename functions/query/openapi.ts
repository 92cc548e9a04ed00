// The OpenAPI 3.1 description of the endpoints this build serves (GET /v1/openapi.json). Request bodies of
// configuration endpoints are generated from the zod schemas the handlers validate with.
import { z } from 'zod';
import { createProjectSchema, updateProjectSchema } from './projects';
import { updateTenantSchema } from './tenant';
import { createApiKeySchema } from './api-keys';
import { declareCatalogTypeSchema } from './catalog';
import { alertRuleSchema } from './alert-rule-schema';
import { dashboardSchema } from './dashboards';
import { funnelPersonsSchema, funnelQuerySchema } from './funnels';
import { SEGMENT_PATHS, SEGMENT_SECURITY_SCHEMES } from './openapi-segment';
import { ACCOUNTS_PATHS, SESSION_COOKIE_SCHEME } from '../auth/openapi';

function jsonBody(schema: z.ZodType) {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema) as Record<string, unknown>;
  return { required: true, content: { 'application/json': { schema: jsonSchema } } };
}
const errorEnvelope = {
  type: 'object',
  required: ['error', 'request_id'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: {} } },
    },
    request_id: { type: 'string' },
  },
} as const;

/** `{id}` of the routes whose ids are UUIDs (keys, rules, dashboards, projects, …). */
const uuidIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } } as const;
/** `{id}` of /v1/users/{id}…: any distinct id of a person. */
const personIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', minLength: 1, maxLength: 256 },
  description: 'Any distinct id of the person (user or anonymous id), percent-encoded',
} as const;
/** `project` where an answer is about one project. */
const oneProjectParam = {
  name: 'project',
  in: 'query',
  schema: { type: 'string' },
  description: 'required when the key reads several projects',
} as const;
/** `project` where an operation covers every project the key reads unless one is named. */
const everyProjectParam = {
  name: 'project',
  in: 'query',
  schema: { type: 'string' },
  description: 'One project; by default every project the key can read',
} as const;
/** The filters GET /v1/events and GET /v1/events/export share (prop.<path> is described in the text). */
const eventFilterParams = [
  {
    name: 'event_type',
    in: 'query',
    schema: { type: 'string' },
    description: 'repeatable: events of any of the given types',
  },
  { name: 'project', in: 'query', schema: { type: 'string' } },
  { name: 'user_id', in: 'query', schema: { type: 'string' } },
  { name: 'session_id', in: 'query', schema: { type: 'string' } },
] as const;

/** start_event / return_event of POST /v1/retention/query. */
const retentionEvent = {
  oneOf: [
    { type: 'string', minLength: 1, maxLength: 200, description: 'An event type' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['event_type'],
      properties: {
        event_type: { type: 'string', minLength: 1, maxLength: 200 },
        filters: {
          type: 'object',
          maxProperties: 10,
          additionalProperties: { type: ['string', 'number', 'boolean'] },
          description: 'Property path -> value, matched like prop.<path>=<value> of GET /v1/events; all must match',
        },
      },
    },
  ],
} as const;

const retentionCohort = {
  type: 'object',
  required: ['start', 'size', 'returned'],
  properties: {
    start: {
      type: 'string',
      format: 'date-time',
      description: "The period's first instant (a local midnight), in UTC",
    },
    size: { type: 'integer', description: 'Persons whose first start event in [from, to) lies in this period' },
    returned: {
      type: 'array',
      items: { type: 'integer' },
      description: 'returned[k]: persons of the cohort with a return event in period k; only periods that have begun',
    },
  },
} as const;

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );

const event = {
  type: 'object',
  required: ['event_type'],
  additionalProperties: false,
  properties: {
    event_type: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '^(?:\\$identify|\\$alias|(?![$\\s])[^\\p{Cc}\\p{Cs}\\p{Zl}\\p{Zp}]*(?<!\\s))$',
      description:
        'Printable Unicode, no leading/trailing whitespace, not starting with $ (reserved), except $identify (properties are the person’s traits) and $alias (merges properties.previous_id into user_id); see docs/api.md#people',
    },
    project: { type: 'string', description: 'Project slug; required unless the key is bound to a project' },
    timestamp: {
      oneOf: [
        { type: 'string', format: 'date-time' },
        { type: 'integer', description: 'epoch milliseconds' },
      ],
    },
    event_id: { type: 'string', minLength: 1, maxLength: 128, description: 'Idempotency key; the first copy wins' },
    user_id: { type: ['string', 'null'], maxLength: 256 },
    anonymous_id: {
      type: ['string', 'null'],
      maxLength: 256,
      description:
        'The anonymous id (same rules as user_id); the event’s distinct id when there is no user_id. With a different user_id, the event merges the anonymous id’s person into the user’s',
    },
    session_id: { type: ['string', 'null'], maxLength: 256 },
    properties: { type: 'object', description: '≤ 32 KB serialized, nesting ≤ 5 levels' },
    tenant_id: { type: 'string', description: 'Optional; if present it must be the tenant of the key (else 403)' },
  },
} as const;

const jsonTypes = ['string', 'number', 'boolean', 'object', 'array', 'null'];
const declarableTypes = ['string', 'number', 'boolean', 'object', 'array'];
const isoTime = { type: ['string', 'null'], format: 'date-time' };

const catalogEntry = {
  type: 'object',
  properties: {
    event_type: { type: 'string' },
    description: { type: ['string', 'null'] },
    status: {
      enum: ['active', 'deprecated'],
      description: 'Deprecated types are still accepted; the status informs the people sending them',
    },
    declared: {
      type: 'boolean',
      description: 'Declared with PUT /v1/catalog/{event_type} (registered-only types: false)',
    },
    first_seen: isoTime,
    last_seen: isoTime,
    count_24h: { type: 'number', description: 'Events in the current hour and the 23 before it' },
    dimensions: {
      type: 'array',
      items: { type: 'string' },
      description: 'Declared dimensions: breakdowns by them read pre-aggregated rollups (docs/api.md#breakdowns)',
    },
    dimension_rollups_from: {
      type: 'object',
      additionalProperties: { type: 'string', format: 'date-time' },
      description:
        'Per dimension: buckets from this instant on are read from its rollups; earlier ones from raw events',
    },
    properties: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Top-level property name' },
          observed_types: { type: 'array', items: { enum: jsonTypes } },
          declared_type: { enum: [...declarableTypes, null] },
          first_seen: isoTime,
          last_seen: isoTime,
        },
      },
    },
  },
} as const;

const auditLogPage = {
  type: 'object',
  required: ['entries', 'next_cursor'],
  properties: {
    entries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'at', 'actor', 'action', 'target', 'before', 'after'],
        properties: {
          id: { type: 'string', description: 'The order of recording (a decimal integer)' },
          at: { type: 'string', format: 'date-time' },
          actor: {
            type: 'object',
            required: ['kind', 'id'],
            properties: {
              kind: { enum: ['user', 'api_key', 'system'] },
              id: { type: 'string' },
              email: { type: 'string', description: "A user's e-mail (users only)" },
            },
          },
          action: { type: 'string', description: 'Dotted, object first: dashboard.update, api_key.revoke, ...' },
          target: { type: ['string', 'null'] },
          before: { type: ['object', 'null'], description: 'The state before the change (null for a creation)' },
          after: { type: ['object', 'null'], description: 'The state after it (null for a deletion)' },
        },
      },
    },
    next_cursor: { type: ['string', 'null'] },
  },
} as const;

const erasureJob = {
  type: 'object',
  required: ['id', 'status', 'person', 'events_erased', 'requested_at', 'finished_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: {
      type: 'string',
      enum: ['pending', 'running', 'done', 'failed'],
      description:
        'pending: nothing erased yet; running: raw data erased, counts being recomputed; done; failed: the erasure step failed ' +
        'repeatedly before erasing anything (send DELETE again)',
    },
    person: { type: 'string', description: 'The id the request named' },
    events_erased: { type: ['integer', 'null'], description: 'Raw events erased (null while pending)' },
    requested_at: { type: 'string', format: 'date-time' },
    finished_at: isoTime,
    error: { type: 'string', description: 'The last failed attempt, while it is retried (absent otherwise)' },
  },
} as const;

const timeParam = (name: string) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
  description: 'ISO-8601 or epoch milliseconds, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z; at most once',
});

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'CustomerSignal API',
    version: '0.1.0',
    description: 'Real-time, multi-tenant event analytics. The tenant of every request comes from its API key.',
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      ...SEGMENT_SECURITY_SCHEMES,
      ...SESSION_COOKIE_SCHEME,
    },
    schemas: {
      Error: errorEnvelope,
      Event: event,
      CatalogEntry: catalogEntry,
      ErasureJob: erasureJob,
      AuditLogPage: auditLogPage,
      RetentionEvent: retentionEvent,
      RetentionCohort: retentionCohort,
    },
  },
  // A session cookie stands in for a key on every keyed route except ingest (docs/api.md#accounts).
  security: [{ bearer: [] }, { apiKey: [] }, { sessionCookie: [] }],
  paths: {
    '/v1/events': {
      post: {
        summary: 'Ingest one event or a batch (scope: ingest)',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { $ref: '#/components/schemas/Event' },
                  {
                    type: 'object',
                    required: ['events'],
                    properties: {
                      events: {
                        type: 'array',
                        minItems: 1,
                        maxItems: 1000,
                        items: { $ref: '#/components/schemas/Event' },
                      },
                    },
                  },
                ],
              },
            },
          },
        },
        responses: {
          '202': {
            description:
              'At least one event accepted and acknowledged by Kafka (acks=all). Per-event errors include schema_violation (strict mode) and catalog_limit (caps on new event types and properties)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    accepted: { type: 'integer' },
                    rejected: { type: 'integer' },
                    event_ids: { type: 'array', items: { type: ['string', 'null'] } },
                    errors: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          index: { type: 'integer' },
                          code: { type: 'string' },
                          message: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors(400, 401, 403, 413, 415, 429, 503),
        },
      },
      get: {
        summary: 'Event explorer (scope: read)',
        description:
          'Default range: without from and to, every retained event (retention window), newest first, future-stamped ones included; from alone ' +
          'lists [from, now and later), to alone everything before to. Ranges are [from, to). The first page pins the moment: later pages (cursor) ' +
          'never show events stored after it. event_type and prop.<path>=<value> may repeat (any of the types; all of the filters, matched as in ' +
          '/v1/metrics); every other parameter at most once (a repeat is a 400). A query value holding U+0000 or percent-encoding that is not UTF-8 is a 400.',
        parameters: [
          ...eventFilterParams,
          timeParam('from'),
          timeParam('to'),
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
          {
            name: 'cursor',
            in: 'query',
            schema: { type: 'string' },
            description: 'next_cursor of the previous page, as returned; anything else is a 400 invalid_cursor',
          },
        ],
        responses: {
          '200': {
            description:
              'Events, newest first, and the cursor of the next page; each event has its context (from the Segment endpoints) or context null',
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/events/export': {
      get: {
        summary: 'Export every matching event of a range exactly once, in resumable pages (scope: read)',
        description:
          'Events of [from, to) ordered by (timestamp, event_id) ascending, in pages of at most limit rows and 4 MB (as the Lambda response ' +
          'envelope counts bytes: UTF-8 with JSON string escaping). The first page fixes a snapshot: the cutoff (X-Export-Cutoff), after every ' +
          'event batch then being written has committed; every page lists only events stored by the cutoff, so each event of the range stored ' +
          'by then appears exactly once across the pages, whatever arrives meanwhile. X-Export-Complete: true on the last page; otherwise ' +
          'X-Next-Cursor (and Link rel="next") continues it. The cursor is signed for the tenant and carries the cutoff, the position and every ' +
          'parameter: send it alone, or with exactly the parameters of the first page; other parameters, another tenant\u2019s cursor or an altered ' +
          'one are 400 invalid_cursor. Filters as GET /v1/events (event_type and prop.* repeatable; every other parameter at most once). With ' +
          'property filters, several event types or session_id without user_id a page may stop short, even empty, after a 5 s scan, with a cursor; keep following it. Events deleted by retention ' +
          'during an export are not listed by later pages.',
        parameters: [
          { ...timeParam('from'), required: true },
          { ...timeParam('to'), required: true },
          ...eventFilterParams,
          {
            name: 'format',
            in: 'query',
            schema: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' },
            description:
              'ndjson: one GET /v1/events item per line (properties and context as stored, numbers exact). csv: text/csv (RFC 4180, CRLF), a ' +
              'header row event_id,event_type,project,timestamp,received_at,user_id,session_id,properties,context,anonymous_id on every page, null as an ' +
              'empty cell, properties and context as JSON text, values exactly as stored (no formula escaping).',
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 10000, default: 10000 },
            description: 'rows per page',
          },
          {
            name: 'cursor',
            in: 'query',
            schema: { type: 'string' },
            description: 'X-Next-Cursor of the previous page, unchanged',
          },
        ],
        responses: {
          '200': {
            description: 'One page of the export; the headers say where it stands and how to continue',
            headers: {
              'X-Export-Cutoff': {
                schema: { type: 'string', format: 'date-time' },
                description: 'The snapshot: events stored after it are not exported',
              },
              'X-Export-Position': {
                schema: { type: 'string', format: 'date-time' },
                description: 'The timestamp the export has reached (to on the last page)',
              },
              'X-Export-Progress': {
                schema: { type: 'string', pattern: '^[01]\\.\\d{4}$' },
                description: 'Share of [from, to) done by time, 0.0000 to 1.0000 (1.0000 only on the last page)',
              },
              'X-Export-Rows': { schema: { type: 'integer' }, description: 'Rows in this page' },
              'X-Export-Done': { schema: { type: 'integer' }, description: 'Rows exported so far, this page included' },
              'X-Export-Complete': {
                schema: { type: 'string', enum: ['true', 'false'] },
                description: 'true on the last page',
              },
              'X-Next-Cursor': { schema: { type: 'string' }, description: 'Absent on the last page' },
              Link: {
                schema: { type: 'string' },
                description: '</v1/events/export?cursor=…>; rel="next", absent on the last page',
              },
            },
            content: {
              'application/x-ndjson': {
                schema: { type: 'string' },
                example:
                  '{"event_id":"e1","event_type":"signup","project":"web","timestamp":"2026-11-27T10:00:00.000Z","received_at":"2026-11-27T10:00:00.120Z","user_id":"u-1","session_id":null,"properties":{"plan": "pro"},"context":null,"anonymous_id":null}\n',
              },
              'text/csv': {
                schema: { type: 'string' },
                example:
                  'event_id,event_type,project,timestamp,received_at,user_id,session_id,properties,context,anonymous_id\r\ne1,signup,web,2026-11-27T10:00:00.000Z,2026-11-27T10:00:00.120Z,u-1,,"{""plan"": ""pro""}",,\r\n',
              },
            },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/metrics': {
      get: {
        summary: 'Time series (scope: read)',
        description:
          'Property filters: prop.<path>=<value> query parameters (repeatable, AND, equality; <path> dotted for nested properties). A value written ' +
          'as a JSON number (0.1, -3, 1e3) matches JSON numbers equal to it as numbers (prop.v=0.10 matches 0.1) and JSON strings of exactly that text; ' +
          'any other value matches the property whose text is exactly the value (strings, true/false). With filters, every metric is computed from raw ' +
          'events with the same arithmetic as the rollups. Points are the whole buckets that overlap [from, to) (default: the hour before now): the first ' +
          'starts at or before from, the last may end after to, and each counts every event of its bucket — future-stamped ones too — whichever path ' +
          'answers. Every parameter but prop.* at most once: a repeat (e.g. two event_type) is a 400. A query value holding U+0000 or percent-encoding ' +
          'that is not UTF-8 is a 400.',
        parameters: [
          { name: 'event_type', in: 'query', required: true, schema: { type: 'string' } },
          {
            name: 'metric',
            in: 'query',
            description:
              'count | unique_users | sum:<path> | avg:<path> | p50:<path> | p90:<path> | p95:<path> | p99:<path> (<path> dotted for nested properties). sum/avg/pNN use JSON numbers only, with exact decimal ' +
              'arithmetic; values are returned as JSON numbers (beyond 2^53 they are rounded to the nearest double). avg = sum / number of events having ' +
              'the property, null for a bucket where none has it. unique_users is a HyperLogLog estimate (within 2 %) of distinct user_ids; events ' +
              'without one do not count. pNN is the percentile from a mergeable sketch: within 0.99 % of the value of rank ⌊q·(n−1)⌋ of the bucket’s n values ' +
              '(p0/p100 exact), null for a bucket where no event has the property.',
            schema: {
              type: 'string',
              pattern: '^(count|unique_users|(sum|avg|p50|p90|p95|p99):[^.]+(\\.[^.]+){0,5})$',
              default: 'count',
              examples: ['count', 'unique_users', 'sum:amount', 'avg:cart.total', 'p95:latency_ms'],
            },
          },
          {
            name: 'interval',
            in: 'query',
            schema: { type: 'string', enum: ['10s', '1m', '5m', '1h', '1d'], default: '1m' },
            description:
              "1h and 1d buckets start at the tenant's local hours and midnights (GET /v1/tenant timezone; a DST day lasts 23 or 25 hours, " +
              'a repeated hour is two buckets); 10s, 1m and 5m are epoch-aligned. Bucket times are UTC instants either way.',
          },
          timeParam('from'),
          timeParam('to'),
          { name: 'project', in: 'query', schema: { type: 'string' } },
          {
            name: 'compare',
            in: 'query',
            schema: { type: 'string', enum: ['previous'] },
            description:
              'previous: also answer previous {from, to, points}, the same metric over as many whole buckets immediately before the first bucket ' +
              '([floor(from) − n·interval, floor(from)), n the number of points); equal to a separate request for that range. Any other value is a 400.',
          },
          {
            name: 'format',
            in: 'query',
            schema: { type: 'string', enum: ['json', 'csv'], default: 'json' },
            description:
              'csv: text/csv (RFC 4180, CRLF) with a header row t,value (plus previous_t,previous_value with compare=previous), ISO instants, an ' +
              'empty cell for null, as an attachment named <event_type>-<metric>.csv (characters other than A-Z a-z 0-9 . _ - as _). With breakdown, a first ' +
              'column series: the total rows (empty series) first, then each series in order. Any other value is a 400.',
          },
          {
            name: 'breakdown',
            in: 'query',
            schema: {
              type: 'string',
              pattern: '^[^.]+(\\.[^.]+){0,5}$',
              maxLength: 1000,
              examples: ['country', 'plan.tier'],
            },
            description:
              'A property path: the answer also holds breakdown, source (rollup | raw) and series [{value, total, points}], the limit values of largest ' +
              'total (ties: UTF-8 byte order), then $other (the other values) and $none (property absent or null), each only when not empty. A string value ' +
              'is itself ($ doubled in front when it starts with $); numbers, booleans, objects and arrays are their jsonb text. For count and sum the ' +
              'series add up to points exactly, bucket by bucket; unique_users series are each their own estimate (a user can be in several). ' +
              'source rollup: a declared dimension (PUT /v1/catalog/{event_type} dimensions) with count/sum/avg of a top-level property, no prop. ' +
              'filters, interval 1m or coarser (10s reads raw events), every bucket since the dimension rollups are complete (at most DIMENSION_MAX_VALUES values per bucket, the K of smallest md5, ' +
              'the rest in $other); otherwise raw events within the retention and at most BREAKDOWN_MAX_RAW_ROWS events (400 breakdown_too_large). ' +
              'With compare=previous every series also has previous {from, to, points}.',
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
            description:
              'With breakdown only (else a 400): how many values get their own series; the rest are in $other.',
          },
        ],
        responses: {
          '200': {
            description:
              "Aligned, zero-filled buckets with data_as_of and timezone (the tenant's zone, which 1h/1d buckets follow); value is null only for avg and pNN buckets without the property. Range limits per interval: " +
              '10s only over the last 24 h, at most 10 000 buckets (400 too_many_buckets); with property filters or sum/avg of a nested path, ' +
              "the first bucket (the previous range's with compare=previous) must start within the tenant's raw-event retention (400 beyond_retention).",
            content: {
              'application/json': { schema: { type: 'object' } },
              'text/csv': {
                schema: { type: 'string' },
                example: 't,value\r\n2026-11-27T10:00:00.000Z,12\r\n2026-11-27T10:01:00.000Z,0\r\n',
              },
            },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/status': {
      get: {
        summary: 'Freshness of the calling tenant: what the dashboard shows (scope: read)',
        description:
          "data_as_of: the time up to which the pipeline has processed this tenant's events — its newest processed receive time, or the last moment the " +
          'pipeline was known caught up on every partition, whichever is later (a quiet tenant is as fresh as the pipeline). lag_ms: 0 while the newest ' +
          'check found the pipeline caught up, else now − data_as_of. events_last_minute: events in the six newest 10 s buckets (event time), every event ' +
          'type; a project-bound key counts its project only.',
        responses: {
          '200': {
            description: 'Freshness',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['data_as_of', 'lag_ms', 'events_last_minute'],
                  properties: {
                    data_as_of: {
                      type: ['string', 'null'],
                      format: 'date-time',
                      description: 'null until anything is known',
                    },
                    lag_ms: { type: ['integer', 'null'], minimum: 0 },
                    events_last_minute: { type: 'integer', minimum: 0 },
                  },
                },
              },
            },
          },
          ...errors(401, 403),
        },
      },
    },
    '/v1/tenant': {
      get: {
        summary: "The key's tenant: id, slug, name, timezone, retention_days, created_at, rebucketing (scope: read)",
        description:
          'timezone: the IANA zone whose local hours and days the 1h/1d buckets of GET /v1/metrics follow (default UTC). rebucketing: the latest ' +
          're-bucketing of the 1h/1d rollups (after a zone change) as {status: "done", from_timezone, to_timezone, started_at, finished_at, rows}, ' +
          'or null if the zone never changed.',
        responses: { '200': { description: 'The tenant' }, ...errors(401, 403) },
      },
      patch: {
        summary: 'Set the time zone of the 1h/1d buckets (scope: admin, a tenant-wide key)',
        description:
          'timezone: an IANA name such as Europe/Berlin, America/New_York, Asia/Kolkata or UTC (answered canonical; a UTC offset such as +05:30 ' +
          'is refused: it does not follow daylight saving time). The 1h/1d rollups are re-bucketed into the new zone before the answer, which ' +
          'is the tenant as GET shows it with rebucketing.status "done". The same zone again changes nothing. For up to 5 s after the change, ' +
          'GET /v1/metrics with interval 10s, 1m or 5m and no breakdown, answered by another process, may still name the old zone as its ' +
          'timezone label (those buckets do not depend on the zone); every 1h/1d read and every breakdown uses the new zone at once.',
        requestBody: jsonBody(updateTenantSchema),
        responses: { '200': { description: 'Updated and re-bucketed' }, ...errors(400, 401, 403) },
      },
    },
    '/v1/projects': {
      get: {
        summary: 'Projects of the tenant (scope: read)',
        responses: { '200': { description: 'Projects' }, ...errors(401, 403) },
      },
      post: {
        summary: 'Create a project (scope: admin)',
        requestBody: jsonBody(createProjectSchema),
        responses: { '201': { description: 'Created' }, ...errors(400, 401, 403, 409) },
      },
    },
    '/v1/projects/{slug}': {
      patch: {
        summary: 'Rename a project or switch its schema mode (scope: admin)',
        parameters: [{ name: 'slug', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: jsonBody(updateProjectSchema),
        responses: { '200': { description: 'Updated' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/api-keys': {
      get: {
        summary: 'Keys of the tenant: prefix, scopes, last use — never the key (scope: admin)',
        responses: { '200': { description: 'Keys' }, ...errors(401, 403) },
      },
      post: {
        summary: 'Create a key; the key is in this response only (scope: admin)',
        description:
          'A signed-in person (cookie session) needs a verified e-mail address: 403 email_unverified otherwise (docs/api.md#e-mail-verification).',
        requestBody: jsonBody(createApiKeySchema),
        responses: { '201': { description: 'Created' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/api-keys/{id}': {
      delete: {
        summary: 'Revoke a key; effective within seconds (scope: admin)',
        parameters: [uuidIdParam],
        responses: { '200': { description: 'Revoked' }, ...errors(401, 403, 404) },
      },
    },
    '/v1/users/{id}/export': {
      get: {
        summary: 'Everything stored about a person, as NDJSON pages (scope: admin)',
        description:
          'The first page starts with one {"type":"person"} line per project holding anything of the person (its ids with identified, ' +
          'first_seen, last_seen and event_count; traits and traits_at; first_seen, last_seen and event_count over its raw events), then one ' +
          '{"type":"merge"} line per identity merge naming one of its ids; then {"type":"event"} lines (every stored field, oldest first, ' +
          'by timestamp then event_id), at most limit a page. X-Export-Complete: true on the last page; otherwise X-Next-Cursor (and Link ' +
          'rel="next") continues; the pages list the events stored when the first page was read. Every page is audit-logged (person.export).',
        parameters: [
          personIdParam,
          everyProjectParam,
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 10000, default: 10000 },
            description: 'events per page',
          },
          {
            name: 'cursor',
            in: 'query',
            schema: { type: 'string' },
            description: 'X-Next-Cursor of the previous page',
          },
        ],
        responses: {
          '200': {
            description: 'One page (application/x-ndjson)',
            headers: {
              'X-Export-Complete': { schema: { type: 'string', enum: ['true', 'false'] } },
              'X-Next-Cursor': { schema: { type: 'string' }, description: 'Absent on the last page' },
            },
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/erasures/{job_id}': {
      get: {
        summary: 'An erasure job (scope: admin)',
        parameters: [{ name: 'job_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          '200': {
            description: 'The job',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ErasureJob' } } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/audit-log': {
      get: {
        summary:
          'The audit log: who changed what, when, with before and after (admin role or admin key of the whole tenant)',
        description:
          'Newest first (by the order of recording), at most limit entries a page; next_cursor continues (null on the last page). ' +
          'Entries are append-only: nothing updates or deletes them. A key bound to one project gets 403. See docs/api.md#audit-log ' +
          'for the actions and what before/after hold.',
        parameters: [
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            description: 'entries per page',
          },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'next_cursor of the previous page' },
          {
            name: 'action',
            in: 'query',
            schema: { type: 'string', maxLength: 100 },
            description: 'One action (dashboard.update), or a prefix ending with a dot (dashboard.)',
          },
          {
            name: 'actor',
            in: 'query',
            schema: { type: 'string' },
            description: 'user:<user id>, api_key:<key id> or system:<name>',
          },
          {
            name: 'target',
            in: 'query',
            schema: { type: 'string', maxLength: 512 },
            description: 'What the entry acted on, exactly',
          },
          { name: 'from', in: 'query', schema: { type: 'string' }, description: 'Entries at or after (ISO-8601)' },
          { name: 'to', in: 'query', schema: { type: 'string' }, description: 'Entries before (ISO-8601)' },
        ],
        responses: {
          '200': {
            description: 'One page',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AuditLogPage' } } },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    '/v1/catalog': {
      get: {
        summary:
          'Event catalog per project: types, properties with observed and declared types, first/last seen, count in the last 24 h (scope: read)',
        parameters: [
          {
            name: 'project',
            in: 'query',
            schema: { type: 'string' },
            description: 'One project; a project-bound key sees only its own',
          },
          { name: 'event_type', in: 'query', schema: { type: 'string' }, description: 'Only this event type' },
        ],
        responses: {
          '200': {
            description: 'Projects with schema_mode, limits and event types',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    projects: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          project: { type: 'string' },
                          schema_mode: { enum: ['open', 'strict'] },
                          limits: {
                            type: 'object',
                            properties: {
                              max_event_types: { type: 'integer' },
                              max_properties_per_type: { type: 'integer' },
                            },
                          },
                          event_types: { type: 'array', items: { $ref: '#/components/schemas/CatalogEntry' } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors(401, 403, 404),
        },
      },
    },
    '/v1/catalog/violations': {
      get: {
        summary:
          'Events rejected by strict mode (schema_violation) or the caps (catalog_limit), by event type and reason, with the 10 most recent samples (scope: read)',
        parameters: [{ name: 'project', in: 'query', schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'Violations, most recent first',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    violations: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          project: { type: 'string' },
                          event_type: {
                            type: 'string',
                            description: '$other collects types beyond the cap of distinct violating types',
                          },
                          reason: { enum: ['unknown_event_type', 'type_mismatch', 'catalog_limit'] },
                          count: { type: 'integer' },
                          first_seen: { type: 'string', format: 'date-time' },
                          last_seen: { type: 'string', format: 'date-time' },
                          samples: {
                            type: 'array',
                            maxItems: 10,
                            items: {
                              type: 'object',
                              properties: {
                                at: { type: 'string', format: 'date-time' },
                                message: { type: 'string' },
                                event_id: { type: 'string' },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors(401, 403, 404),
        },
      },
    },
    '/v1/catalog/{event_type}': {
      put: {
        summary:
          'Declare an event type (created if absent, so strict mode accepts it), its description, status and property types (scope: admin)',
        description:
          'In strict mode an event whose type is not in the catalog, or whose property has another JSON type than declared (null is always allowed), is rejected with schema_violation; ' +
          'properties that are not declared are accepted and registered. A property declared as null loses its declaration. Ingest sees the change within CATALOG_CACHE_TTL.',
        parameters: [
          {
            name: 'event_type',
            in: 'path',
            required: true,
            schema: event.properties.event_type,
            description: 'The event type, URL-encoded (Order%20Completed)',
          },
        ],
        requestBody: jsonBody(declareCatalogTypeSchema),
        responses: {
          '200': {
            description: 'Updated',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CatalogEntry' } } },
          },
          '201': {
            description: 'Created',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CatalogEntry' } } },
          },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    '/v1/funnels/query': {
      post: {
        summary: 'A funnel: persons per step, conversion, drop-off and time to convert (scope: read)',
        description:
          'Persons (distinct ids joined by merges) enter at a step-1 event with from <= ts < to and reach each later step within `window` of that ' +
          'entry event. order: ordered (each step after the previous one, other events allowed between), strict (the steps are consecutive among ' +
          'all the person\u2019s events) or any (steps in any order; step k counts persons who did k of the steps). Events are ordered by ' +
          '(timestamp, event_id): a step may have the same timestamp as the previous step when its event_id sorts after. A person who enters several ' +
          'times is counted with the attempt that gets furthest, the earliest on ties. Exclusions remove a person whose counted attempt has an ' +
          'exclusion event strictly between its from_step and to_step events. Breakdown values are taken from the entry event (first touch), so the ' +
          'values\u2019 counts add up to the funnel\u2019s: the top breakdown_limit (default 25, at most 100) values by entered persons, then ' +
          '$other and $none. Times to convert are seconds from the previous step\u2019s event (median: mean of the two middle values for an even count). ' +
          'from must be within the tenant\u2019s raw retention (400 beyond_retention gives the earliest); from..to at most 366 days; window 1s to 90d. ' +
          'Filters: {"<path>": value} as prop.<path>=<value> of GET /v1/metrics. One project: "project", or the key\u2019s project.',
        requestBody: jsonBody(funnelQuerySchema),
        responses: {
          '200': {
            description:
              'steps [{step, event_type, count, conversion_from_first, conversion_from_previous, drop_off, median_seconds_to_convert, average_seconds_to_convert}], with breakdown also breakdown_values [{value, steps}]',
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/funnels/persons': {
      post: {
        summary: 'The persons at a funnel step, converted or dropped, in pages (scope: read)',
        description:
          'The funnel body plus step (1-based), status (converted: reached the step; dropped: reached the step before but not this one, step >= 2), ' +
          'optional breakdown_value (a value as the query answers it, not $other), limit (default 100, at most 1000) and cursor. Persons are ordered by ' +
          'person_id (UTF-8 bytes), each with reached_step, entered_at and step_times of the attempt counted. next_cursor continues the same query ' +
          '(a cursor given with another query is 400 invalid_cursor); next_url is the GET link of the next page. Pages are not a snapshot: events ' +
          'written between pages can change later pages.',
        requestBody: jsonBody(funnelPersonsSchema),
        responses: {
          '200': {
            description:
              'persons [{person_id, reached_step, entered_at, step_times, breakdown_value?}], next_cursor, next_url',
          },
          ...errors(400, 401, 403, 404),
        },
      },
      get: {
        summary: 'The persons at a funnel step as a shareable link (scope: read)',
        description:
          'query is the POST /v1/funnels/persons body as base64url-encoded JSON; cursor and limit may be given beside it (they override the body\u2019s).',
        parameters: [
          { name: 'query', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        responses: { '200': { description: 'As POST' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/alert-rules': {
      get: {
        summary:
          'Alert rules of the tenant with their current state; webhook secrets are never returned, a webhook channel says "has_secret": true instead (scope: read)',
        responses: { '200': { description: 'Rules' }, ...errors(401, 403) },
      },
      post: {
        summary:
          'Create an alert rule (scope: admin). A webhook channel without a secret gets one, shown in this response only.',
        description:
          'metric: count, unique_users, sum:<path>, avg:<path>, p50:/p90:/p95:/p99:<path>, ratio (numerator / denominator event types; undefined with a zero denominator → no_data) or anomaly ' +
          '(anomaly.of watched over the window; fires when |value − mean| / max(stddev, √mean, 1) of the previous anomaly.baseline_windows windows exceeds anomaly.sensitivity, in anomaly.direction). ' +
          'Windows slide in 10 s steps over the 10s rollups (so window ≤ 24h). An absence rule is {"op": "<", "threshold": 1}. ' +
          'group_by (a property path, as filter keys) makes a per-segment rule: one state machine per value of the property, at most 100 groups ' +
          '(pending/firing/error/cooling groups always kept, then the most alarming; the others counted in status.groups_truncated); events without ' +
          'the property are ignored; the rule shows groups [{group, key, state, since, value, error, evaluated_at}] and its status is the worst group state; ' +
          'webhook payloads and e-mails name the group ({"group": {"<path>": "<value>"}}). Not with metric anomaly (400).',
        requestBody: jsonBody(alertRuleSchema),
        responses: { '201': { description: 'Created' }, ...errors(400, 401, 403) },
      },
    },
    '/v1/alert-rules/preview': {
      post: {
        summary:
          'When a rule would have fired over a past range (within the last 24 h), and the series it saw (scope: read)',
        description:
          "Replays the rule over stored data with the live engine's state machine. Each transition (and `fired`) is reported at the instant the live engine " +
          'would have made it: the event that crossed the threshold (or the 10 s boundary where data left the window, or the end of `for` / the allowed lateness). ' +
          '`series` has one point per `step` at step boundaries (the window ending there, over the data before it) and one at `to`. `from` must be in the past; ' +
          '`to` defaults to now and is capped at now (nothing after now is simulated); the response echoes the `from` and `to` used. ' +
          'A group_by rule is replayed per group: `groups` [{group, fired, transitions, series}] (the one `group` asked for, else the 10 groups with the most events), ' +
          '`group_by`, `groups_truncated`; the top-level `fired`/`transitions` merge the groups (each transition names its group) and `series` is empty.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['rule', 'from'],
                properties: {
                  rule: { type: 'object', description: 'An alert rule body (name optional)' },
                  from: { type: 'string', format: 'date-time' },
                  to: { type: 'string', format: 'date-time' },
                  group: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 200,
                    description: 'group_by rules only: replay just this group (its value)',
                  },
                },
              },
            },
          },
        },
        responses: { '200': { description: 'Transitions and the evaluated series' }, ...errors(400, 401, 403) },
      },
    },
    '/v1/retention/query': {
      post: {
        summary:
          'Retention: cohorts of persons by their first start event, and who did the return event in each period after (scope: read)',
        description:
          'First-time retention over persons (merged ids count as one). A person joins the cohort of the period holding their first start_event in [from, to) ' +
          '(earliest ts, then smallest event_id). returned[0]: persons with a return_event at or after that start event within the cohort period; returned[k]: ' +
          "with a return_event in the k-th period after. Periods are the tenant's local days or weeks from Monday local midnight (DST-exact). " +
          'breakdown: the value on the cohort-defining start event; the top `limit` values by persons, then $other and $none, adding up to the total exactly.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['start_event', 'return_event', 'period', 'periods', 'from', 'to'],
                properties: {
                  project: { type: 'string', description: 'A project slug; left out: every project the key may read' },
                  start_event: { $ref: '#/components/schemas/RetentionEvent' },
                  return_event: { $ref: '#/components/schemas/RetentionEvent' },
                  period: { type: 'string', enum: ['day', 'week'] },
                  periods: {
                    type: 'integer',
                    minimum: 1,
                    maximum: 90,
                    description: 'Periods per cohort, period 0 included: at most 90 days or 26 weeks',
                  },
                  from: { type: ['string', 'integer'], description: 'ISO-8601 or epoch ms; within the raw retention' },
                  to: {
                    type: ['string', 'integer'],
                    description:
                      'ISO-8601 or epoch ms; the cohorts are the periods overlapping [from, to): at most 90 days or 26 weeks',
                  },
                  breakdown: {
                    type: 'string',
                    description: 'A property path of the start event, e.g. "plan" or "utm.source"',
                  },
                  limit: {
                    type: 'integer',
                    minimum: 1,
                    maximum: 100,
                    default: 10,
                    description: 'Breakdown values shown; the rest in $other',
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The cohorts (and per breakdown value)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['timezone', 'period', 'periods', 'cohorts'],
                  properties: {
                    timezone: { type: 'string' },
                    period: { type: 'string', enum: ['day', 'week'] },
                    periods: { type: 'integer' },
                    cohorts: { type: 'array', items: { $ref: '#/components/schemas/RetentionCohort' } },
                    breakdown: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['value', 'cohorts'],
                        properties: {
                          value: { type: 'string' },
                          cohorts: { type: 'array', items: { $ref: '#/components/schemas/RetentionCohort' } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/alert-rules/{id}': {
      get: {
        summary: 'One alert rule (scope: read)',
        parameters: [uuidIdParam],
        responses: { '200': { description: 'Rule' }, ...errors(401, 403, 404) },
      },
      put: {
        summary:
          'Replace an alert rule (scope: admin); webhook channels sent without a secret keep the one of the same URL',
        parameters: [uuidIdParam],
        requestBody: jsonBody(alertRuleSchema),
        responses: { '200': { description: 'Updated' }, ...errors(400, 401, 403, 404) },
      },
      delete: {
        summary: 'Delete an alert rule, its state and pending notifications stay in the history (scope: admin)',
        parameters: [uuidIdParam],
        responses: { '200': { description: 'Deleted' }, ...errors(401, 403, 404) },
      },
    },
    '/v1/alerts': {
      get: {
        summary:
          'History of state changes, newest first, with value, threshold, window and each notification’s delivery attempts (scope: read)',
        description:
          'Each delivery has status (pending, delivered, failed), error (why the last attempt failed; for a failed delivery, why it was given up) and its attempts. ' +
          'A webhook target refused by the target policy (loopback, private, link-local or metadata address) or an invalid URL fails after one attempt, without retries.',
        parameters: [
          { name: 'rule_id', in: 'query', schema: { type: 'string', format: 'uuid' } },
          {
            name: 'group',
            in: 'query',
            schema: { type: 'string', minLength: 1, maxLength: 200 },
            description:
              'Only the transitions of this group of group_by rules (its value); each entry has group {"<group_by>": "<value>"} or null',
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          {
            name: 'before',
            in: 'query',
            schema: { type: 'string', format: 'uuid' },
            description: 'next_before of the previous page',
          },
        ],
        responses: { '200': { description: 'Alerts' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/dashboards': {
      get: {
        summary: 'Dashboards of the tenant; a tenant with none gets its default one (scope: read)',
        responses: { '200': { description: 'Dashboards' }, ...errors(401, 403) },
      },
      post: {
        summary:
          'Create a dashboard (scope: admin). Widgets: timeseries, number, table or events, each with a query {event_type, metric, interval, range, project, filter, series, breakdown, compare}; or a saved insight, funnel or retention, whose query is {range, funnel} or {range, retention}: the body of POST /v1/funnels/query or /v1/retention/query without from and to, checked by the same rules; an optional chart (line, area, bar, stacked) and unit, and an optional layout {x, y, w, h} on a 12-column grid (x column 0-11, y row, x + w <= 12; without x/y widgets flow in array order)',
        requestBody: jsonBody(dashboardSchema),
        responses: { '201': { description: 'Created' }, ...errors(400, 401, 403) },
      },
    },
    '/v1/dashboards/{id}': {
      get: {
        summary: 'One dashboard (scope: read)',
        parameters: [uuidIdParam],
        responses: { '200': { description: 'Dashboard' }, ...errors(401, 403, 404) },
      },
      put: {
        summary: 'Replace a dashboard’s name and widgets (scope: admin); widgets without an id get one',
        parameters: [uuidIdParam],
        requestBody: jsonBody(dashboardSchema),
        responses: { '200': { description: 'Updated' }, ...errors(400, 401, 403, 404) },
      },
      delete: {
        summary: 'Delete a dashboard (scope: admin)',
        parameters: [uuidIdParam],
        responses: { '200': { description: 'Deleted' }, ...errors(401, 403, 404) },
      },
    },
    '/v1/users': {
      get: {
        summary: 'Search people by id prefix or trait (scope: read)',
        description:
          'q matches a person when one of its ids starts with q or one of its trait values (as text) contains q, case-insensitively; ' +
          'trait.<key>=<value> (repeatable, each key once) needs the trait’s text to equal value. Persons ordered by person_id, paged by cursor.',
        parameters: [
          oneProjectParam,
          { name: 'q', in: 'query', schema: { type: 'string', maxLength: 256 } },
          { name: 'trait.<key>', in: 'query', schema: { type: 'string' }, description: 'repeatable, one per key' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'next_cursor of the previous page' },
        ],
        responses: {
          '200': {
            description:
              '{project, users: [{person_id, ids, first_seen, last_seen, event_count, traits}], next_cursor}',
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/users/{id}': {
      delete: {
        summary:
          'Erase a person: raw events, ids, traits and merges, then every derived count recomputed (scope: admin)',
        description:
          'Starts an erasure job (202; GET /v1/erasures/{job_id} reads it, the Location header names it). The person is every id merged ' +
          'with {id} (an id never merged is its own person), in the projects the key can read (or the one given as project). The job erases ' +
          "the person's raw events, distinct ids, traits and merges, keeps only a hash of each erased event id (so a Kafka redelivery is " +
          'refused), then recomputes the rollups, unique-user and percentile sketches and dimension breakdowns of every hour the events ' +
          'fell in, and refreshes the cache. A second request while a job for the same person and projects is open returns that job. ' +
          'Audit-logged (person.erase, then person.erased when done). See docs/api.md#erasure-and-access for what remains and for how long.',
        parameters: [personIdParam, everyProjectParam],
        responses: {
          '202': {
            description: 'The erasure job (pending, or the open one for this person)',
            headers: { Location: { schema: { type: 'string' }, description: '/v1/erasures/{job_id}' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ErasureJob' } } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
      get: {
        summary: 'The person an id belongs to, with all its merged ids (scope: read)',
        description:
          'Any id of the person finds it (user id, anonymous id, alias). Answer: {project, id, person_id, ids: [{id, identified, first_seen, ' +
          'last_seen, event_count}], first_seen, last_seen, event_count, identified, traits, traits_at}. traits: per key, the newest $identify value.',
        parameters: [personIdParam, oneProjectParam],
        responses: { '200': { description: 'The person' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/v1/users/{id}/events': {
      get: {
        summary: 'The person’s merged timeline: the events of all its ids, newest first (scope: read)',
        description:
          'Pinned like the explorer: later pages never show events stored after the first page. Ranges are [from, to); event_type repeats.',
        parameters: [
          personIdParam,
          oneProjectParam,
          { name: 'event_type', in: 'query', schema: { type: 'string' }, description: 'repeatable' },
          timeParam('from'),
          timeParam('to'),
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'next_cursor of the previous page' },
        ],
        responses: {
          '200': { description: '{project, person_id, events: [event with anonymous_id], next_cursor}' },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/v1/openapi.json': {
      get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
    },
    ...ACCOUNTS_PATHS,
    '/healthz': { get: { summary: 'Process alive', security: [], responses: { '200': { description: 'ok' } } } },
    ...SEGMENT_PATHS,
    '/readyz': {
      get: {
        summary: 'Kafka, Postgres and Redis reachable',
        security: [],
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
      },
    },
  },
} as const;
