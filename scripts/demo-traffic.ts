// A gentle stream of realistic demo events through the public ingest API, so the dashboard has something to show.
import { randomUUID } from 'node:crypto';

const PAGES = ['/', '/pricing', '/docs', '/blog/launch', '/signup', '/checkout'];
const PLANS = ['free', 'pro', 'team'];
const REGIONS = ['eu', 'us', 'apac'];
const COUNTRIES = ['DE', 'US', 'FR', 'GB', 'IN', 'JP', 'BR', 'NP'];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

export function demoEvents(count: number, project: string): Record<string, unknown>[] {
  return Array.from({ length: count }, () => {
    const userId = `user_${1 + Math.floor(Math.random() * 250)}`;
    const r = Math.random();
    const base = {
      event_id: randomUUID(),
      project,
      user_id: userId,
      session_id: `s_${userId}_${new Date().getUTCHours()}`,
    };
    // Each user stays in one country, so breakdowns by country look like real traffic.
    const where = { region: pick(REGIONS), country: COUNTRIES[Number(userId.slice(5)) % COUNTRIES.length]! };
    const amount = Math.round(Math.random() * 20_000) / 100;
    // Visitors browse before they sign up: a fifth of page views carry only the browser's anonymous id, and a signup
    // carries both ids, which merges the anonymous history into the user (docs/api.md#people).
    const anonymousId = `anon_${userId.slice(5)}`;
    if (r < 0.12)
      return {
        ...base,
        user_id: undefined,
        anonymous_id: anonymousId,
        event_type: 'page_view',
        properties: { path: pick(PAGES), ...where },
      };
    if (r < 0.6) return { ...base, event_type: 'page_view', properties: { path: pick(PAGES), ...where } };
    if (r < 0.75)
      return { ...base, anonymous_id: anonymousId, event_type: 'signup', properties: { plan: pick(PLANS), ...where } };
    if (r < 0.92) return { ...base, event_type: 'checkout_started', properties: { amount, currency: 'EUR', ...where } };
    return {
      ...base,
      event_type: 'checkout_failed',
      properties: { reason: pick(['card_declined', 'timeout', 'fraud_check']), amount, currency: 'EUR', ...where },
    };
  });
}

export function startDemoTraffic(opts: {
  url: string;
  key: string;
  project: string;
  eventsPerSecond?: number;
  onError?: (message: string) => void;
}) {
  const rate = opts.eventsPerSecond ?? 4;
  let stopped = false;
  let lastError = '';
  const timer = setInterval(() => {
    if (stopped) return;
    const count = Math.max(1, Math.round(rate * (0.5 + Math.random())));
    fetch(`${opts.url}/v1/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${opts.key}` },
      body: JSON.stringify({ events: demoEvents(count, opts.project) }),
    })
      .then(async (res) => {
        if (res.status !== 202)
          throw new Error(`demo traffic got HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
        lastError = '';
      })
      .catch((e: Error) => {
        if (e.message !== lastError) opts.onError?.(e.message);
        lastError = e.message;
      });
  }, 1_000);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
