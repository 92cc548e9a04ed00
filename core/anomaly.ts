// Anomaly rules: how far a window's value sits outside the band learned from the windows before it. Pure.
import type { AnomalySpec } from './alert-rule';

/**
 * The score the rule compares with its sensitivity: the deviation of `value` from the mean of `baseline` in units
 * of max(stddev, sqrt(mean), 1) — a z-score whose floor (the Poisson noise of a count, and 1) keeps a flat or
 * empty history from turning every wiggle into an anomaly. `above` scores only rises, `below` only falls.
 * null when the value is undefined, or fewer than 2 baseline windows have a value, or fewer than half are non-zero.
 */
export function anomalyScore(
  value: number | null,
  baseline: (number | null)[],
  spec: Pick<AnomalySpec, 'direction'>,
): { score: number | null; mean: number; scale: number } {
  const known = baseline.filter((v): v is number => v !== null);
  // Not enough history to learn a band: fewer than half of the baseline windows saw anything (a new event type, a
  // new rule over an empty past) — no_data rather than calling the first traffic an anomaly.
  if (value === null || known.length < 2 || known.filter((v) => v !== 0).length < Math.ceil(baseline.length / 2))
    return { score: null, mean: 0, scale: 1 };
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  const variance = known.reduce((a, b) => a + (b - mean) ** 2, 0) / (known.length - 1);
  const scale = Math.max(Math.sqrt(variance), Math.sqrt(Math.abs(mean)), 1);
  const d = (value - mean) / scale;
  const score = spec.direction === 'above' ? d : spec.direction === 'below' ? -d : Math.abs(d);
  return { score, mean, scale };
}
