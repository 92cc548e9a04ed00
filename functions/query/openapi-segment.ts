// The OpenAPI fragment of the Segment-spec endpoints (POST /v1/batch, /v1/track, …), spread into openapi.ts.
const call = (required: string[], properties: Record<string, unknown>, description: string) => ({
  type: 'object',
  description: `${description} userId or anonymousId is required (alias: userId and previousId). Unknown fields are ignored; a message is at most 32 KB serialized.`,
  required,
  properties: {
    type: { type: 'string', description: 'Optional on the single-call endpoints (must match); required in a batch' },
    userId: { type: ['string', 'number'], description: '→ user_id' },
    anonymousId: {
      type: ['string', 'number'],
      description:
        '→ anonymous_id, and → user_id when there is no userId (also kept as context.anonymousId); with a userId, merges the anonymous history into the user',
    },
    messageId: {
      type: 'string',
      maxLength: 128,
      description: '→ event_id: the idempotency key, so retries are counted once',
    },
    timestamp: { type: 'string', format: 'date-time', description: 'Event time, used as sent' },
    originalTimestamp: {
      type: 'string',
      format: 'date-time',
      description: 'Without timestamp: event time = receivedAt - (sentAt - originalTimestamp)',
    },
    sentAt: { type: 'string', format: 'date-time' },
    context: {
      type: 'object',
      description: '→ context, stored beside the properties (MAX_CONTEXT_BYTES, default 32 KB), shown by the explorer',
    },
    integrations: { type: 'object', description: 'Ignored' },
    ...properties,
  },
});
const properties = { type: 'object', description: '→ properties' };
const traits = { type: 'object', description: '→ properties' };
const messages = {
  track: call(
    ['event'],
    { event: { type: 'string', description: '→ event_type (not starting with $)' }, properties },
    'track → event_type = event.',
  ),
  page: call(
    [],
    { name: { type: 'string' }, category: { type: 'string' }, properties },
    'page → $page; name and category are added to the properties.',
  ),
  screen: call(
    [],
    { name: { type: 'string' }, category: { type: 'string' }, properties },
    'screen → $screen; name and category are added to the properties.',
  ),
  identify: call([], { traits }, 'identify → $identify; traits are the properties.'),
  group: call(
    ['groupId'],
    { groupId: { type: ['string', 'number'] }, traits },
    'group → $group; traits plus groupId are the properties.',
  ),
  alias: call(
    ['userId', 'previousId'],
    { previousId: { type: ['string', 'number'] } },
    'alias → $alias; previousId is a property.',
  ),
};

const error = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const responses = {
  '200': {
    description:
      'At least one message accepted, acknowledged by Kafka (acks=all). Rejected messages are listed in errors (retrying does not help them)',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            success: { const: true },
            accepted: { type: 'integer' },
            rejected: { type: 'integer' },
            event_ids: { type: 'array', items: { type: ['string', 'null'] } },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
  '400': {
    ...error,
    description:
      'No message accepted (details per message), malformed JSON, or more than 500 KB (payload_too_large): do not retry',
  },
  '401': error,
  '403': { ...error, description: 'Key without the ingest scope, or not bound to a project' },
  '413': {
    ...error,
    description: 'The body as sent is larger than MAX_BODY_BYTES (default 1 MB): payload_too_large, do not retry',
  },
  '415': {
    ...error,
    description:
      'A body that is not JSON under a non-JSON Content-Type, a charset other than UTF-8, or a Content-Encoding other than gzip',
  },
  '429': { ...error, description: "Over the tenant's rate: retry after Retry-After" },
  '503': { ...error, description: 'Kafka did not confirm in time: retry with the same messageIds (Retry-After)' },
};

const security = [{ basic: [] }, { bearer: [] }, { apiKey: [] }];
const body = (schema: unknown) => ({
  required: true,
  // text/plain: JSON as browsers send it to avoid a CORS preflight (writeKey in the body). Any other label, or
  // none, is read as JSON too; gzip with or without Content-Encoding.
  content: { 'application/json': { schema }, 'text/plain': { schema }, '*/*': { schema } },
});
const writeKey = {
  writeKey: { type: 'string', description: 'The write key, as browsers send it instead of Basic auth' },
};
const op = (summary: string, schema: unknown, shortPath?: string) => ({
  post: {
    summary: `${summary} (Segment HTTP Tracking API; write key = an ingest key bound to a project, as the Basic user name)${shortPath ? `; analytics.js also posts it to ${shortPath}` : ''}`,
    tags: ['segment'],
    security,
    requestBody: body(schema),
    responses,
  },
});
const withWriteKey = (m: { properties: Record<string, unknown> }) => ({
  ...m,
  properties: { ...m.properties, ...writeKey },
});

export const SEGMENT_SECURITY_SCHEMES = {
  basic: { type: 'http', scheme: 'basic', description: 'Segment write key as the user name, empty password' },
} as const;

const batchSchema = {
  type: 'object',
  required: ['batch'],
  properties: {
    batch: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: { oneOf: Object.values(messages).map((m) => ({ ...m, required: [...m.required, 'type'] })) },
    },
    context: { type: 'object', description: "Merged under each message's context" },
    sentAt: { type: 'string', format: 'date-time' },
    ...writeKey,
  },
};
const alias = (of: string, schema: unknown) => op(`The same as ${of}: the short path of analytics.js`, schema);

export const SEGMENT_PATHS = {
  '/v1/batch': op('A batch of track, identify, page, screen, group and alias messages', batchSchema, '/v1/b'),
  '/v1/track': op('Track one action', withWriteKey(messages.track), '/v1/t'),
  '/v1/identify': op('Identify a user with traits', withWriteKey(messages.identify), '/v1/i'),
  '/v1/page': op('Record a page view', withWriteKey(messages.page), '/v1/p'),
  '/v1/screen': op('Record a mobile screen view', withWriteKey(messages.screen), '/v1/s'),
  '/v1/group': op('Associate a user with a group', withWriteKey(messages.group), '/v1/g'),
  '/v1/alias': op('Merge two user identities', withWriteKey(messages.alias), '/v1/a'),
  '/v1/b': alias('/v1/batch', batchSchema),
  '/v1/t': alias('/v1/track', withWriteKey(messages.track)),
  '/v1/i': alias('/v1/identify', withWriteKey(messages.identify)),
  '/v1/p': alias('/v1/page', withWriteKey(messages.page)),
  '/v1/s': alias('/v1/screen', withWriteKey(messages.screen)),
  '/v1/g': alias('/v1/group', withWriteKey(messages.group)),
  '/v1/a': alias('/v1/alias', withWriteKey(messages.alias)),
} as const;
