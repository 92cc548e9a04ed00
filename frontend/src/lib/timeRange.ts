// Relative time ranges ("last 1 h") and how they become absolute [from, to) bounds.
import { parseDuration } from './duration';

export const DEFAULT_RANGE = '1h';

/** "Last <range>" ending now. The API floors `from` to the interval and includes the current partial bucket. */
export function resolveRange(range: string, nowMs: number): { from: string; to: string } {
  const durationMs = parseDuration(range) ?? 3_600_000;
  return { from: new Date(nowMs - durationMs).toISOString(), to: new Date(nowMs).toISOString() };
}
