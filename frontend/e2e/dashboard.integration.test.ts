// The dashboard in a real browser against the local runtime: built SPA + API on one origin, real Kafka,
// Postgres and Redis. Proves that a signed-in user sees the live data that was just ingested.
// Needs /usr/bin/chromium (scripts/install-chromium.sh).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestEnv, eventually, type TestEnv, type TestTenant } from '../../test/harness';
import { call } from '../../test/builders';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { collectProblems, launchBrowser, newContext, waitForText } from './browser';

const REPO_ROOT = resolve(__dirname, '../..');
const SCREENSHOT = '/tmp/cs-dashboard.png';
const LIVE_DATA_TIMEOUT_MS = 20_000;

let distDir: string;
let env: TestEnv;
let tenant: TestTenant;
let runtime: LocalRuntime;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const run = randomBytes(3).toString('hex');
/** What is posted: event type → event ids (exact totals are asserted on the tiles). */
const POSTED = {
  signup: [1, 2, 3].map((i) => `e2e-signup-${run}-${i}`),
  checkout_failed: [1, 2].map((i) => `e2e-checkout-${run}-${i}`),
} as const;
const EVENT_TYPES = Object.keys(POSTED) as (keyof typeof POSTED)[];
const INSPECTED_EVENT_ID = POSTED.checkout_failed[0];

async function buildSpa(outDir: string): Promise<void> {
  // NODE_ENV=test (set by jest) would give a development build; VITE_API_URL='' keeps the API on the same origin.
  const buildEnv = { ...process.env, NODE_ENV: 'production', VITE_API_URL: '' };
  await promisify(execFile)('npx', ['vite', 'build', '--config', 'frontend/vite.config.mts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    env: buildEnv,
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function metricTotal(eventType: string): Promise<number> {
  const res = await call(runtime.url, `/v1/metrics?event_type=${eventType}&metric=count&interval=1m`, { key: tenant.keys.read });
  if (res.status !== 200) throw new Error(`GET /v1/metrics answered ${res.status}`);
  return (res.body.points as { value: number }[]).reduce((sum, point) => sum + point.value, 0);
}

/** Opens the dashboard and signs in through the form, the way a person would. */
async function signIn(key: string): Promise<void> {
  await page.goto(runtime.url);
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'cs-e2e-dist-'));
  // The build, the test world and the browser are independent: prepare them side by side.
  let launched: Browser | undefined;
  const [, createdEnv] = await Promise.all([
    buildSpa(distDir),
    createTestEnv('dashboard', { WEB_DIST_DIR: distDir }),
    launchBrowser().then((b) => (launched = b)),
  ]);
  env = createdEnv;
  browser = launched!;
  tenant = await env.createTenant();
  runtime = await startLocalRuntime(env.adapters, { port: 0, web: true, scheduler: false });

  const events = EVENT_TYPES.flatMap((eventType) =>
    POSTED[eventType].map((eventId, i) => ({ event_type: eventType, project: 'web', event_id: eventId, user_id: `user-${i + 1}`, properties: { plan: 'pro', step: i + 1 } })),
  );
  const posted = await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } });
  expect(posted.status).toBe(202);
  expect(posted.body).toMatchObject({ accepted: events.length, rejected: 0 });
  await eventually(async () => {
    for (const eventType of EVENT_TYPES) if ((await metricTotal(eventType)) !== POSTED[eventType].length) return undefined;
    return true;
  }, LIVE_DATA_TIMEOUT_MS);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await runtime?.stop();
  await env?.cleanup();
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

beforeEach(async () => {
  context = await newContext(browser);
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

describe('the dashboard in a real browser', () => {
  it('shows the ingested events live after signing in with a read key', async () => {
    await signIn(tenant.keys.read);

    // Signed in: the sign-in form is gone and the overview is up.
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('heading', { name: 'Event types' }).waitFor();
    expect(await page.getByLabel('API key', { exact: true }).count()).toBe(0);

    // One tile per event type with the exact total posted, and one chart each.
    const tiles = page.getByRole('list', { name: /^Totals over the last/ });
    for (const eventType of EVENT_TYPES) {
      const tile = tiles.getByRole('listitem').filter({ has: page.getByText(eventType, { exact: true }) });
      await waitForText(tile.locator('.tile__value'), String(POSTED[eventType].length), LIVE_DATA_TIMEOUT_MS);

      const chart = page.getByRole('article', { name: eventType, exact: true });
      await chart.locator('svg.recharts-surface').waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
      // The area is drawn (a path with a real outline), not an empty frame.
      await chart.locator('path.recharts-area-curve').waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
      expect(await chart.getByText(`No ${eventType} events in this range.`).count()).toBe(0);
    }

    // Freshness: "data as of 12:34:56 (3 s ago)" with a machine-readable time.
    const freshness = page.getByText(/data as of/);
    await waitForText(freshness, /^data as of \d{1,2}:\d{2}:\d{2}( [AP]M)? \((just now|\d+ s ago|\d+ min ago)\)$/, LIVE_DATA_TIMEOUT_MS);
    const dataAsOf = await freshness.locator('time').getAttribute('datetime');
    expect(Number.isNaN(Date.parse(dataAsOf ?? ''))).toBe(false);

    // Recent events: every posted event is listed; a row expands to the event's JSON.
    const table = page.getByRole('table', { name: 'Recent events, newest first' });
    await table.waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    for (const eventId of EVENT_TYPES.flatMap((eventType) => POSTED[eventType])) {
      await table.getByRole('row').filter({ hasText: eventId }).waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    }
    const row = table.getByRole('row').filter({ hasText: INSPECTED_EVENT_ID });
    expect(await row.getByRole('cell').allInnerTexts()).toEqual([expect.any(String), 'checkout_failed', 'web', 'user-1', INSPECTED_EVENT_ID]);
    const toggle = row.getByRole('button', { expanded: false });
    await toggle.click();
    expect(await row.getByRole('button').getAttribute('aria-expanded')).toBe('true');
    const json = page.getByLabel(`Event ${INSPECTED_EVENT_ID} as JSON`);
    await json.waitFor();
    expect(JSON.parse(await json.innerText())).toMatchObject({
      event_id: INSPECTED_EVENT_ID,
      event_type: 'checkout_failed',
      project: 'web',
      user_id: 'user-1',
      properties: { plan: 'pro', step: 1 },
    });

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('refuses a wrong key and a key that cannot read, and stays on the sign-in screen', async () => {
    await signIn(`cs_${'x'.repeat(32)}`);
    await waitForText(page.getByRole('alert'), 'Unknown or revoked key');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.getByLabel('API key', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('API key', { exact: true }).fill(tenant.keys.ingest);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForText(page.getByRole('alert'), 'This key cannot read (it needs the read or admin scope)');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.evaluate(() => window.sessionStorage.length)).toBe(0);
  });

  it('keeps the key in sessionStorage only, never in localStorage', async () => {
    await signIn(tenant.keys.read);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    const stored = await page.evaluate(() => {
      const all = (storage: Storage) => Array.from({ length: storage.length }, (_, i) => [storage.key(i) ?? '', storage.getItem(storage.key(i) ?? '') ?? '']);
      return { session: all(window.sessionStorage), local: all(window.localStorage), cookies: document.cookie };
    });
    expect(stored.session).toEqual([['customersignal.apiKey', tenant.keys.read]]);
    expect(JSON.stringify(stored.local)).not.toContain(tenant.keys.read);
    expect(stored.local).toEqual([]);
    expect(stored.cookies).not.toContain(tenant.keys.read);

    // Same tab, reload: still signed in (sessionStorage survives); signing out forgets the key.
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key', { exact: true }).waitFor();
    expect(await page.evaluate(() => [window.sessionStorage.length, window.localStorage.length])).toEqual([0, 0]);
  });

  it('serves the app with a Content-Security-Policy and runs without violating it', async () => {
    const problems = collectProblems(page);
    // Violations are also reported to the page itself; record them from before any app script runs.
    await page.addInitScript(() => {
      const violations: string[] = [];
      (window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
      document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });

    const response = await page.goto(runtime.url);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);

    // Sign in so the lazily loaded overview (recharts) renders under the policy too.
    await page.getByLabel('API key', { exact: true }).fill(tenant.keys.read);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('article', { name: 'signup', exact: true }).locator('svg.recharts-surface').waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    await page.getByRole('table', { name: 'Recent events, newest first' }).waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });

    const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    expect(violations).toEqual([]);
    expect(problems.messages.filter((m) => /Content Security Policy|Refused|violates/i.test(m))).toEqual([]);
    expect(problems.messages.filter((m) => m.startsWith('pageerror:'))).toEqual([]);
  });
});
