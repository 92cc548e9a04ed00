// HTTP plumbing shared by the API handlers: middy with request ids, log context and the one error handler.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger, withLogContext } from '../../adapters/logger';
import { classifyFailure, sqlStateOf } from '../../core/failure-kind';
import { mapExpectedError } from './errors';
import { jsonText } from './json-text';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };
export type HttpFn = (event: HttpEvent, context: Context) => Promise<HttpResult>;

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: jsonText(body) };
}

function requestIdOf(event: HttpEvent): string {
  return event.requestContext?.requestId ?? 'unknown';
}

/** Turns any error into the API's error envelope; internals never reach a response. */
export function toErrorResult(error: unknown, requestId: string): HttpResult {
  const expected = mapExpectedError(error);
  if (expected) {
    const body = {
      error: {
        code: expected.code,
        message: expected.message,
        ...(expected.details ? { details: expected.details } : {}),
      },
      request_id: requestId,
    };
    return json(expected.status, body, expected.headers);
  }
  const kind = classifyFailure(error);
  if (kind === 'data') {
    // Validation should have caught it; the code alone is logged (Postgres' message may quote the value).
    logger.warn('data exception from a request value', { pg_code: sqlStateOf(error) });
    return json(400, {
      error: {
        code: 'invalid_parameter',
        message:
          'A value in the request cannot be stored or compared (for example it holds U+0000, or a number or time out of range); correct it and retry.',
      },
      request_id: requestId,
    });
  }
  if (kind === 'infrastructure') {
    logger.warn('dependency unavailable', { error: error as Error });
    return json(
      503,
      {
        error: { code: 'unavailable', message: 'A backing service is unavailable; retry shortly.' },
        request_id: requestId,
      },
      { 'Retry-After': '2' },
    );
  }
  logger.error('unhandled error', { error: error as Error });
  return json(500, {
    error: {
      code: 'internal_error',
      message: 'Something went wrong on our side; retry, and report the request_id if it persists.',
    },
    request_id: requestId,
  });
}

const errorEnvelope = (): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    request.response = toErrorResult(request.error, requestIdOf(request.event));
  },
});

const requestIdHeader = (): middy.MiddlewareObj<HttpEvent, HttpResult> => {
  const add = async (request: middy.Request<HttpEvent, HttpResult>) => {
    if (request.response)
      request.response.headers = { ...request.response.headers, 'X-Request-Id': requestIdOf(request.event) };
  };
  return { after: add, onError: add };
};

/** Wraps an HTTP function: log context, X-Request-Id on every response, errors as envelopes. */
export function httpHandler(fn: HttpFn): HttpFn {
  // Order matters: middy runs `after`/`onError` in reverse, so the envelope exists before the header is added.
  const handler = middy<HttpEvent, HttpResult>().use(requestIdHeader()).use(errorEnvelope()).handler(fn);
  // One log context per request (its keys never reach another request's or a consumer batch's lines). The event
  // itself is never logged (logEvent: false, whatever POWERTOOLS_LOGGER_LOG_EVENT says): it holds the API key
  // (headers) and the event properties and secrets (body).
  return (event, context) =>
    withLogContext({ request_id: requestIdOf(event), route: event.routeKey }, () => handler(event, context));
}
