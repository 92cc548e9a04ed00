// Expected failures of a request, named by what went wrong, not by transport: the HTTP edge alone maps a kind to a
// status (functions/http/errors.ts). docs/architecture.md#layers.
export type ErrorDetail = Record<string, unknown>;

export type ErrorKind =
  | 'invalid' // the input is wrong; the message says how to fix it
  | 'unauthorized' // no valid credential
  | 'forbidden' // the credential may not do this
  | 'not_found'
  | 'conflict' // the state of the tenant refuses it (duplicate, a limit reached)
  | 'too_large' // the input is larger than accepted
  | 'rate_limited' // too much, too fast: retry after retryAfterSeconds
  | 'unavailable'; // a backing service cannot serve now: retry after retryAfterSeconds

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetail[]) =>
  new AppError('invalid', code, message, details);
export const unauthorized = (
  message = 'Send a valid API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>".',
) => new AppError('unauthorized', 'unauthorized', message);
export const forbidden = (message: string, code = 'forbidden', details?: ErrorDetail[]) =>
  new AppError('forbidden', code, message, details);
export const notFound = (message: string) => new AppError('not_found', 'not_found', message);
export const conflict = (code: string, message: string) => new AppError('conflict', code, message);
export const tooLarge = (message: string, code = 'payload_too_large', cause?: unknown) =>
  new AppError('too_large', code, message, undefined, undefined, { cause });
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new AppError('rate_limited', 'rate_limited', message, undefined, retryAfterSeconds);
export const unavailable = (
  message: string,
  retryAfterSeconds: number,
  cause?: unknown,
  code = 'unavailable',
  details?: ErrorDetail[],
) => new AppError('unavailable', code, message, details, retryAfterSeconds, { cause });
