// Typed HTTP errors: the one error handler turns these into the API's error envelope.
export type ErrorDetail = Record<string, unknown>;

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetail[]) => new HttpError(400, code, message, details);
export const unauthorized = (message = 'Send a valid API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>".') =>
  new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const unavailable = (message: string, retryAfterSeconds: number, cause?: unknown) =>
  new HttpError(503, 'unavailable', message, undefined, { 'Retry-After': String(retryAfterSeconds) }, { cause });
