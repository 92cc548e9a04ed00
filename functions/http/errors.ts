// The one place that turns failures into HTTP statuses: AppError kinds from the core, HttpError for what only the
// HTTP edge knows (media types, methods, header sizes), and unexpected errors by the shared failure classifier.
import { AppError, type ErrorDetail, type ErrorKind } from '../../core/errors';

/** An error the HTTP edge raises itself, with its own status (415, 405, 408, 431, ...). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

export interface MappedError {
  status: number;
  code: string;
  message: string;
  details?: ErrorDetail[];
  headers: Record<string, string>;
}

/** Status, code, message and headers of an expected error; undefined for anything else. */
export function mapExpectedError(error: unknown): MappedError | undefined {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      details: error.details,
      headers: error.headers ?? {},
    };
  }
  if (error instanceof AppError) {
    const headers: Record<string, string> =
      error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) };
    return {
      status: STATUS_OF_KIND[error.kind],
      code: error.code,
      message: error.message,
      details: error.details,
      headers,
    };
  }
  return undefined;
}
