// Relative time ranges ("last 1 h") and how they become absolute [from, to) bounds.
import { parseDuration } from './duration';

export const DEFAULT_RANGE = '1h';

/** "Last <range>" ending now. The API floors `from` to the interval and includes the current partial bucket. */
export function resolveRange(range: string, nowMs: number): { from: string; to: string } {
  const durationMs = parseDuration(range) ?? 3_600_000;
  return { from: new Date(nowMs - durationMs).toISOString(), to: new Date(nowMs).toISOString() };
}

/** Why an absolute range [from, to) (ISO; '' when a time is missing or invalid) cannot be shown, or null. */
export function absoluteRangeProblem(fromIso: string, toIso: string): string | null {
  if (fromIso === '' || toIso === '') return 'Enter both times.';
  return Date.parse(fromIso) >= Date.parse(toIso) ? '“From” must be before “To”.' : null;
}
