import { ApiError } from './client';
import { AUTO_RETRY_MS, isRetryable, refetchEvery, shouldRetry } from './retry';

const err = (status: number) =>
  new ApiError({ status, code: status === 0 ? 'network_error' : `http_${status}`, message: 'x' });

describe('retryable errors', () => {
  it('are network failures, 5xx and 429 only', () => {
    expect([0, 500, 502, 503, 429].map((s) => isRetryable(err(s)))).toEqual([true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 422].map((s) => isRetryable(err(s)))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isRetryable(new Error('bug'))).toBe(false);
  });

  it('are retried twice, others never', () => {
    expect(shouldRetry(0, err(503))).toBe(true);
    expect(shouldRetry(2, err(503))).toBe(false);
    expect(shouldRetry(0, err(400))).toBe(false);
  });

  it('keep a failed query polling, live or paused, and leave a healthy one alone', () => {
    const failed = { state: { status: 'error', error: err(0) } };
    const refused = { state: { status: 'error', error: err(400) } };
    const fine = { state: { status: 'success', error: null } };
    expect(refetchEvery(false)(failed)).toBe(AUTO_RETRY_MS);
    expect(refetchEvery(5_000)(failed)).toBe(AUTO_RETRY_MS);
    expect(refetchEvery(false)(refused)).toBe(false);
    expect(refetchEvery(5_000)(fine)).toBe(5_000);
    expect(refetchEvery(false)(fine)).toBe(false);
  });
});
