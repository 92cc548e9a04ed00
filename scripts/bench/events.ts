// Realistic ingest payloads for the benchmarks: request bodies with unique event_ids, and the matching
// events_raw records for the Kafka baselines (so every producer writes records of the same size).
import { randomUUID } from 'node:crypto';
import { encodeRawEvent, type RawEvent } from '../../core/raw-event';

const TYPES = ['page_view', 'page_view', 'page_view', 'signup', 'checkout_started', 'checkout_failed'] as const;
// Also seed.ts's, so that seeded and sent events look alike.
export const PATHS = [
  '/',
  '/pricing',
  '/docs/getting-started',
  '/checkout/cart',
  '/blog/realtime-analytics',
  '/settings/billing',
];
const REFERRERS = ['https://www.google.com/', 'https://news.ycombinator.com/', 'https://duckduckgo.com/', ''];
const BROWSERS = ['Firefox 128', 'Chrome 126', 'Safari 17.5', 'Edge 126'];
export const COUNTRIES = ['DE', 'US', 'FR', 'GB', 'JP', 'BR'];
export const PLANS = ['free', 'team', 'pro', 'enterprise'];

/** The i-th sample event (deterministic), without event_id: ~300 bytes of JSON with an event_id added. */
export function sampleEvent(i: number): Record<string, unknown> {
  const pick = <T>(list: readonly T[], salt: number): T => list[(i * 7 + salt) % list.length]!;
  return {
    event_type: pick(TYPES, 0),
    project: 'web',
    user_id: `user_${(100_000 + ((i * 7919) % 90_000)).toString(36)}`,
    session_id: `s_${((i * 104_729) % 1_000_000).toString(16).padStart(6, '0')}`,
    properties: {
      path: pick(PATHS, 1),
      referrer: pick(REFERRERS, 2),
      browser: pick(BROWSERS, 3),
      country: pick(COUNTRIES, 4),
      plan: pick(PLANS, 5),
      amount: Math.round(((i * 37) % 20_000) + 99) / 100,
      items: (i % 5) + 1,
      experiment: 'checkout_v2',
    },
  };
}

/**
 * Builds request bodies of `count` events (one event object when count is 1, rotating over 100 samples, else
 * {"events": [...]}; the sample events unless `event` is given), each call with fresh event_ids: `<runTag>-<request no>[-<index>]`. Cheap: the events are serialized once
 * and only the ids are spliced in.
 */
export function bodyFactory(
  count: number,
  runTag: string,
  event: (i: number) => Record<string, unknown> = sampleEvent,
): { next(): string; sample: string; bytesPerEvent: number } {
  const MARK = '\u0000ID\u0000';
  const parts = Array.from({ length: Math.max(count, 100) }, (_, i) =>
    JSON.stringify({ event_id: MARK, ...event(i) }).split(JSON.stringify(MARK)),
  );
  let n = 0;
  const next = () => {
    const req = (n++).toString(36);
    if (count === 1) {
      const [before, after] = parts[(n - 1) % parts.length]!;
      return `${before}"${runTag}-${req}"${after}`;
    }
    const events = parts.slice(0, count).map(([before, after], i) => `${before}"${runTag}-${req}-${i}"${after}`);
    return `{"events":[${events.join(',')}]}`;
  };
  const sample = next();
  n = 0;
  return { next, sample, bytesPerEvent: Math.round(Buffer.byteLength(sample) / count) };
}

/**
 * An event of this module (event_type, user_id, session_id, properties) as the aggregate path gets it from events_raw,
 * of project `web`, stamped `timestampMs` (received then too).
 */
export function asRawEvent(
  e: Record<string, unknown>,
  tenant: { tenantId: string; projectId: string },
  eventId: string,
  timestampMs: number,
): RawEvent {
  return {
    ...tenant,
    project: 'web',
    eventId,
    eventType: e.event_type as string,
    timestampMs,
    receivedAtMs: timestampMs,
    userId: e.user_id as string,
    sessionId: e.session_id as string,
    properties: e.properties as Record<string, unknown>,
    context: null,
  };
}

/** The events_raw records our ingest path writes for the sample events (same encoder, same sizes). */
export function rawRecords(count: number): { key: string; values: string[]; avgBytes: number } {
  const tenantId = randomUUID();
  const projectId = randomUUID();
  const now = Date.now();
  const values = Array.from({ length: count }, (_, i) => {
    return encodeRawEvent(
      asRawEvent(sampleEvent(i), { tenantId, projectId }, `bench-${randomUUID().slice(0, 8)}-0-${i}`, now),
    );
  });
  const avgBytes = Math.round(values.reduce((n, v) => n + Buffer.byteLength(v), 0) / values.length);
  return { key: tenantId, values, avgBytes };
}
