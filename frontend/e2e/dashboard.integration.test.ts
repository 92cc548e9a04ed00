// The dashboard in a real browser against the local runtime: built SPA + API on one origin, real Kafka,
// Postgres and Redis, the alert engine and the webhook dispatcher. Proves that a signed-in user sees live data on the
// config-driven dashboard, explores and pages events, follows a chart point to its events, edits a dashboard,
// creates an alert rule that fires, and that a read key cannot change anything.
// Needs /usr/bin/chromium (scripts/install-chromium.sh). Screenshots of every screen go to /tmp/cs-screens/.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createTestEnv, eventually, type TestEnv, type TestTenant } from '../../test/harness';
import { call } from '../../test/builders';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { isoToZonedInput } from '../src/lib/timezone';
import {
  collectProblems,
  contrastRatio,
  launchBrowser,
  newContext,
  signInWithKey,
  waitForText,
  webDist,
  type WebDist,
} from './browser';

const SCREENS = '/tmp/cs-screens';
const LIVE_DATA_TIMEOUT_MS = 20_000;

let dist: WebDist | undefined;
let env: TestEnv;
let tenant: TestTenant;
let runtime: LocalRuntime;
let hooks: WebhookReceiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const run = randomBytes(3).toString('hex');
/** What is posted before the first page load: event type → event ids (exact totals are asserted). */
const POSTED = {
  page_view: Array.from({ length: 30 }, (_, i) => `e2e-pv-${run}-${i}`),
  signup: [1, 2, 3].map((i) => `e2e-signup-${run}-${i}`),
  checkout_failed: [1, 2].map((i) => `e2e-checkout-${run}-${i}`),
} as const;
const EVENT_TYPES = Object.keys(POSTED) as (keyof typeof POSTED)[];
const INSPECTED_EVENT_ID = POSTED.checkout_failed[0];

async function metricTotal(eventType: string): Promise<number> {
  const res = await call(runtime.url, `/v1/metrics?event_type=${eventType}&metric=count&interval=1m`, {
    key: tenant.keys.read,
  });
  if (res.status !== 200) throw new Error(`GET /v1/metrics answered ${res.status}`);
  return (res.body.points as { value: number }[]).reduce((sum, point) => sum + point.value, 0);
}

async function post(events: Record<string, unknown>[]): Promise<void> {
  const posted = await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } });
  expect(posted.status).toBe(202);
  expect(posted.body).toMatchObject({ accepted: events.length, rejected: 0 });
}

/** Opens the dashboard and signs in through the form, the way a person would. */
const signIn = (key: string, hash = ''): Promise<void> => signInWithKey(page, runtime.url, key, hash);

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  await mkdir(SCREENS, { recursive: true });
  hooks = await startWebhookReceiver();
  // The build, the test world and the browser are independent: prepare them side by side.
  let launched: Browser | undefined;
  dist = await webDist();
  const [createdEnv] = await Promise.all([
    createTestEnv('dashboard', { WEB_DIST_DIR: dist.dir, ALERT_TICK: '300ms', DISPATCH_TICK: '300ms' }),
    launchBrowser().then((b) => (launched = b)),
  ]);
  env = createdEnv;
  browser = launched!;
  tenant = await env.createTenant();
  runtime = await startLocalRuntime(env.adapters, {
    port: 0,
    web: true,
    scheduler: false,
    alerts: true,
    dispatch: true,
  });

  await post(
    EVENT_TYPES.flatMap((eventType) =>
      POSTED[eventType].map((eventId, i) => ({
        event_type: eventType,
        project: 'web',
        event_id: eventId,
        user_id: `user-${i + 1}`,
        session_id: `s-${i % 3}`,
        properties: { plan: eventType === 'page_view' && i >= 27 ? 'free' : 'pro', step: i + 1 },
      })),
    ),
  );
  await eventually(async () => {
    for (const eventType of EVENT_TYPES)
      if ((await metricTotal(eventType)) !== POSTED[eventType].length) return undefined;
    return true;
  }, LIVE_DATA_TIMEOUT_MS);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await runtime?.stop();
  await env?.cleanup();
  await hooks?.stop();
  await dist?.cleanup();
});

beforeEach(async () => {
  context = await newContext(browser);
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

describe('the dashboard in a real browser', () => {
  it('renders the default dashboard from GET /v1/dashboards and moves with live events, read-only for a read key', async () => {
    await signIn(tenant.keys.read);
    expect(await page.getByLabel('API key', { exact: true }).count()).toBe(0);

    // The tenant's default dashboard: a number tile of the busiest type, a chart per busy type, the latest events.
    const tile = page.getByRole('article', { name: 'page_view, last 24 h' });
    await waitForText(tile.getByTestId('number-value'), '30', LIVE_DATA_TIMEOUT_MS);
    for (const eventType of EVENT_TYPES) {
      const chart = page.getByRole('article', { name: `${eventType} per minute`, exact: true });
      // The finished buckets' area and the current bucket's (dashed, faded): the events posted are in one of them,
      // so one area has a height (a flat one has no box, and counts as hidden).
      await chart
        .locator('path.recharts-area-curve')
        .filter({ visible: true })
        .first()
        .waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    }
    const latest = page.getByRole('article', { name: 'Latest events' });
    await latest.getByText('page_view').first().waitFor();

    // Freshness from GET /v1/status: "data as of 12:34:56 (3 s ago)" with a machine-readable time.
    const freshness = page.getByText(/data as of/);
    await waitForText(
      freshness,
      /^data as of \d{1,2}:\d{2}:\d{2}( [AP]M)? \((just now|\d+ s ago|\d+ min ago)\)$/,
      LIVE_DATA_TIMEOUT_MS,
    );
    expect(Number.isNaN(Date.parse((await freshness.locator('time').getAttribute('datetime')) ?? ''))).toBe(false);

    // Live: two more page views arrive and the tile moves without a reload.
    await post(
      [0, 1].map((i) => ({
        event_type: 'page_view',
        project: 'web',
        event_id: `e2e-pv-live-${run}-${i}`,
        properties: { plan: 'free' },
      })),
    );
    await waitForText(tile.getByTestId('number-value'), '32', LIVE_DATA_TIMEOUT_MS);

    // A read key: scope found, no edit actions shown.
    await waitForText(page.locator('.badge').filter({ hasText: /read-only|admin/ }), 'read-only');
    expect(await page.getByRole('button', { name: 'Edit dashboard' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'New dashboard' }).count()).toBe(0);
    await screenshot('dashboard');

    // Phone width: one column, still usable.
    await page.setViewportSize({ width: 390, height: 844 });
    await tile.getByTestId('number-value').waitFor();
    await screenshot('dashboard-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await page.getByRole('button', { name: 'New alert rule' }).count()).toBe(0);
    // Keys and settings are an admin's: not in a read key's navigation.
    expect(await page.getByRole('link', { name: 'Projects & keys', exact: true }).count()).toBe(0);
  });

  it('follows a chart point to the events of that bucket in the explorer', async () => {
    await signIn(tenant.keys.read);
    const chart = page.getByRole('article', { name: 'checkout_failed per minute', exact: true });
    const surface = chart.locator('.recharts-wrapper');
    await chart
      .locator('path.recharts-area-curve')
      .filter({ visible: true })
      .first()
      .waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    const box = (await surface.boundingBox())!;
    // Walk left from the newest bucket until the tooltip shows a bucket with events, then click it.
    let clicked = false;
    for (let step = 0; step < 8 && !clicked; step += 1) {
      const x = box.x + box.width - 10 - step * ((box.width - 54) / 60);
      await page.mouse.move(x, box.y + box.height / 2);
      const tooltip = chart.locator('.recharts-tooltip-item-value');
      const value =
        (await tooltip.count()) > 0
          ? await tooltip
              .first()
              .innerText()
              .catch(() => '0')
          : '0';
      if (Number(value) > 0) {
        await page.mouse.click(x, box.y + box.height / 2);
        clicked = true;
      }
    }
    expect(clicked).toBe(true);
    await page.getByRole('heading', { name: 'Event explorer' }).waitFor();
    const params = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    expect(params.getAll('event_type')).toEqual(['checkout_failed']);
    expect(Date.parse(params.get('to')!) - Date.parse(params.get('from')!)).toBe(60_000);
    const table = page.getByRole('table', { name: 'Events matching the filters, newest first' });
    await table.getByRole('row').filter({ hasText: INSPECTED_EVENT_ID }).waitFor();
    const types = await table.locator('tbody tr td:nth-child(2)').allInnerTexts();
    expect(new Set(types)).toEqual(new Set(['checkout_failed']));
  });

  it('filters the explorer by type and property, pages through the cursor and shows an event as JSON', async () => {
    await signIn(tenant.keys.read, '#/explorer');
    await page.getByRole('heading', { name: 'Event explorer' }).waitFor();
    await page.getByLabel('Event types').selectOption(['page_view']);
    await page.getByRole('button', { name: '+ Property filter' }).click();
    await page.getByLabel('Property path 1').fill('plan');
    await page.getByLabel('Property value 1').fill('pro');
    await page.getByLabel('Page size').selectOption('25');
    await page.getByRole('button', { name: 'Apply filters' }).click();

    const table = page.getByRole('table', { name: 'Events matching the filters, newest first' });
    const rows = table.locator('tbody tr.events-table__row');
    // The total of all matching events, not only the loaded page.
    await waitForText(page.getByRole('status').filter({ hasText: /^Showing/ }), /^Showing 25 of 27 events/);
    expect(await rows.count()).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForText(page.getByRole('status').filter({ hasText: /^Showing/ }), /^Showing 27 of 27 events/);
    // A filtered scan may stop at its time budget with a cursor (docs/api.md#event-explorer): a page can be short
    // and still offer more; following the cursor ends with no older events and nothing added.
    const noOlder = page.getByText('No older events.');
    for (let i = 0; i < 5 && !(await noOlder.isVisible()); i += 1) {
      const more = page.getByRole('button', { name: 'Load more' });
      if (await more.isEnabled().catch(() => false)) await more.click();
      await page.waitForTimeout(200);
    }
    await noOlder.waitFor();
    await waitForText(page.getByRole('status').filter({ hasText: /^Showing/ }), /^Showing 27 of 27 events/);
    const ids = await table.locator('tbody tr.events-table__row td:nth-child(6)').allInnerTexts();
    expect(new Set(ids).size).toBe(27);
    expect(ids.every((id) => POSTED.page_view.slice(0, 27).includes(id as never))).toBe(true);

    // The filters live in the URL: a reload keeps them.
    await page.reload();
    await waitForText(page.getByRole('status').filter({ hasText: /^Showing/ }), /^Showing 25 of 27 events/);
    // The loaded events' properties are columns, filled per row.
    const headers = await table.locator('thead th').allInnerTexts();
    expect(headers.slice(6)).toEqual(['plan', 'step']);
    const fourth = table.getByRole('row').filter({ hasText: POSTED.page_view[3] });
    expect(await fourth.locator('td:nth-child(7)').innerText()).toBe('pro');
    expect(await fourth.locator('td:nth-child(8)').innerText()).toBe('4');

    const row = table.getByRole('row').filter({ hasText: POSTED.page_view[3] });
    await row.getByRole('button', { expanded: false }).click();
    const json = page.getByLabel(`Event ${POSTED.page_view[3]} as JSON`);
    expect(JSON.parse(await json.innerText())).toMatchObject({
      event_id: POSTED.page_view[3],
      event_type: 'page_view',
      project: 'web',
      properties: { plan: 'pro', step: 4 },
    });
    await screenshot('explorer');
  });

  it('edits a dashboard with an admin key: adds a widget, saves, and the reload shows it', async () => {
    await signIn(tenant.keys.admin);
    await waitForText(page.locator('.badge').filter({ hasText: /read-only|admin/ }), 'admin');
    await page.getByRole('button', { name: 'Edit dashboard' }).click();
    const editor = page.getByRole('form', { name: /^Edit dashboard/ });
    await editor.getByRole('button', { name: 'Add widget' }).click();
    const added = editor.locator('fieldset.widget-editor').last();
    await added.getByLabel('Type', { exact: true }).selectOption('number');
    await added.getByLabel('Title').fill('E2E signups');
    await added.getByLabel(/^Event type/).fill('signup');
    await added.getByLabel('Range').selectOption('24h');
    // Move it to the top.
    const count = await editor.locator('fieldset.widget-editor').count();
    for (let i = count; i > 1; i -= 1) await editor.getByRole('button', { name: `Move Widget ${i} up` }).click();
    await screenshot('dashboard-editor');
    await editor.getByRole('button', { name: 'Save dashboard' }).click();

    const widget = page.getByRole('article', { name: 'E2E signups' });
    await waitForText(widget.getByTestId('number-value'), '3', LIVE_DATA_TIMEOUT_MS);
    await page.reload();
    await waitForText(
      page.getByRole('article', { name: 'E2E signups' }).getByTestId('number-value'),
      '3',
      LIVE_DATA_TIMEOUT_MS,
    );
    expect(await page.locator('article.widget h3').first().innerText()).toBe('E2E signups');

    const saved = await call(runtime.url, '/v1/dashboards', { key: tenant.keys.read });
    expect(saved.body.dashboards[0].widgets[0]).toMatchObject({
      type: 'number',
      title: 'E2E signups',
      query: { event_type: 'signup', range: '24h' },
    });
  });

  it('creates an alert rule in the UI with a preview, and shows it firing with the webhook delivered', async () => {
    await signIn(tenant.keys.admin, '#/alerts');
    await page.getByRole('button', { name: 'New alert rule' }).click();
    const form = page.getByRole('form', { name: 'New alert rule' });
    await form.getByLabel('Name').fill('E2E checkout failures');
    await form.getByLabel('Event type').fill('checkout_failed');
    await form.getByLabel('Threshold').fill('2');
    await form.getByLabel('Window').fill('5m');
    await form.getByLabel('Cooldown').fill('0s');
    await form.getByLabel('Webhook URLs (one per line)').fill(hooks.url);
    await waitForText(
      form.getByRole('status').filter({ hasText: /^Would/ }),
      /^Would (not )?have fired/,
      LIVE_DATA_TIMEOUT_MS,
    );
    await form.locator('svg.recharts-surface').waitFor();
    await screenshot('alert-editor');
    await form.getByRole('button', { name: 'Create rule' }).click();

    // The generated webhook secret is shown once.
    await waitForText(page.getByLabel(`Secret for ${hooks.url}`), /^whsec_/);
    const card = page.getByRole('article', { name: 'E2E checkout failures' });
    // An ok rule is evaluated when events of its type arrive (or the tick, once it is not ok): none yet, so it
    // has no state, and says so rather than "ok".
    await waitForText(card.getByTestId('rule-state'), 'not evaluated yet');

    // Two more failures make 4 in the window, above 2: the rule fires and the webhook is delivered.
    await post(
      [0, 1].map((i) => ({ event_type: 'checkout_failed', project: 'web', event_id: `e2e-alert-${run}-${i}` })),
    );
    await waitForText(card.getByTestId('rule-state'), 'firing', 30_000);
    await eventually(
      async () =>
        hooks.received.some((h) => h.json.state === 'firing' && h.json.rule_name === 'E2E checkout failures')
          ? true
          : undefined,
      20_000,
    );
    await card.getByRole('button', { name: 'History' }).click();
    const history = card.getByRole('table', { name: 'History of E2E checkout failures' });
    await waitForText(history.locator('tbody tr').first(), /→ firing.*webhook .*: delivered/, LIVE_DATA_TIMEOUT_MS);
    await screenshot('alerts');

    // Disable it from the list.
    await card.getByRole('button', { name: 'Disable' }).click();
    await waitForText(card.getByTestId('rule-state'), 'disabled');
  });

  it('shows the catalog and lets an admin describe an event type; manages keys', async () => {
    await signIn(tenant.keys.admin, '#/catalog');
    const signup = page.getByRole('article', { name: 'signup', exact: true });
    await signup.getByRole('cell', { name: 'plan' }).waitFor();
    await signup.getByRole('button', { name: 'Edit' }).click();
    await signup.getByLabel('Description').fill('Someone created an account');
    await signup.getByLabel('plan').selectOption('string');
    await signup.getByRole('button', { name: 'Save' }).click();
    await signup.getByText('Someone created an account').waitFor();
    await waitForText(signup.getByRole('row').filter({ hasText: /^plan/ }).locator('td:nth-child(3)'), 'string');
    await page.getByRole('heading', { name: 'Rejected events' }).waitFor();
    await screenshot('catalog');

    await page.getByRole('link', { name: 'Projects & keys', exact: true }).click();
    await page.getByRole('table', { name: 'Projects' }).getByRole('cell', { name: 'web', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByLabel('New API key');
    const key = (await shown.innerText()).trim();
    expect(key.length).toBeGreaterThan(20);
    // The new key works, then is revoked from the list.
    expect((await call(runtime.url, '/v1/events?limit=1', { key })).status).toBe(200);
    await screenshot('settings');
    page.once('dialog', (dialog) => void dialog.accept());
    const keys = page.getByRole('table', { name: 'API keys' });
    const rows = keys.locator('tbody tr').filter({ has: page.getByRole('button', { name: /^Revoke/ }) });
    const before = await rows.count();
    await rows
      .last()
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await eventually(async () => ((await rows.count()) === before - 1 ? true : undefined), 10_000);
  });

  it('refuses a wrong key and a key that cannot read, and stays on the sign-in screen', async () => {
    await page.goto(runtime.url);
    await page.getByLabel('API key', { exact: true }).fill(`cs_${'x'.repeat(32)}`);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await waitForText(page.getByRole('alert'), 'Unknown or revoked key');
    expect(await page.getByLabel('API key', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('API key', { exact: true }).fill(tenant.keys.ingest);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await waitForText(page.getByRole('alert'), 'This key cannot read (it needs the read or admin scope)');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.evaluate(() => window.sessionStorage.length)).toBe(0);
    await screenshot('sign-in');
  });

  it('keeps the key in sessionStorage only, never in localStorage', async () => {
    await signIn(tenant.keys.read);
    const stored = await page.evaluate(() => {
      const all = (storage: Storage) =>
        Array.from({ length: storage.length }, (_, i) => [
          storage.key(i) ?? '',
          storage.getItem(storage.key(i) ?? '') ?? '',
        ]);
      return { session: all(window.sessionStorage), local: all(window.localStorage), cookies: document.cookie };
    });
    expect(stored.session).toEqual([['customersignal.apiKey', tenant.keys.read]]);
    expect(stored.local).toEqual([]);
    expect(stored.cookies).not.toContain(tenant.keys.read);

    // Same tab, reload: still signed in (sessionStorage survives); signing out forgets the key.
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key', { exact: true }).waitFor();
    expect(await page.evaluate(() => [window.sessionStorage.length, window.localStorage.length])).toEqual([0, 0]);
  });

  it('serves the app with a Content-Security-Policy and runs every screen without violating it', async () => {
    const problems = collectProblems(page);
    await page.addInitScript(() => {
      const violations: string[] = [];
      (window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
      document.addEventListener('securitypolicyviolation', (e) =>
        violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });

    const response = await page.goto(runtime.url);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);

    await page.getByLabel('API key', { exact: true }).fill(tenant.keys.admin);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await page
      .getByRole('article', { name: 'signup per minute', exact: true })
      .locator('svg.recharts-surface')
      .waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    for (const [link, heading] of [
      ['Explorer', 'Event explorer'],
      ['Catalog', 'Event catalog'],
      ['Alerts', 'Alerts'],
      ['Projects & keys', 'Projects & API keys'],
      ['Members', 'Members'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    }

    const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    expect(violations).toEqual([]);
    expect(problems.messages.filter((m) => /Content Security Policy|Refused|violates/i.test(m))).toEqual([]);
    expect(problems.messages.filter((m) => m.startsWith('pageerror:'))).toEqual([]);
  });
});

describe('defects found in a browser review, fixed', () => {
  const zoneClock = (iso: string, timeZone: string) =>
    new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone })
      .format(Date.parse(iso))
      .replace(/\s+/g, ' ');

  it('shows every time in the tenant zone and names it, whatever the viewer’s zone; UTC, visibly, without one', async () => {
    // The viewer is in Tokyo; the tenant is set to New York through the real PATCH /v1/tenant (docs/api.md#tenant).
    await context.close();
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'Asia/Tokyo',
    });
    page = await context.newPage();
    const setZone = (timezone: string) =>
      call(runtime.url, '/v1/tenant', { method: 'PATCH', key: tenant.keys.admin, json: { timezone } });
    const before = await call(runtime.url, '/v1/tenant', { key: tenant.keys.read });
    expect(before.status).toBe(200);
    const patched = await setZone('America/New_York');
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ timezone: 'America/New_York', rebucketing: { status: 'done' } });
    try {
      // Seconds other than :00: a datetime-local input shows a time with zero seconds without them (its value is
      // the normalized form), so a from on a whole minute (1 run in 60) would not read back as isoToZonedInput's.
      const fromDate = new Date(Date.now() - 3_600_000);
      fromDate.setUTCSeconds(17, 0);
      const from = fromDate.toISOString();
      await signIn(tenant.keys.read, `#/explorer?event_type=checkout_failed&from=${encodeURIComponent(from)}`);
      await waitForText(page.getByTestId('time-zone'), /^America\/New_York \(UTC−0[45]:00\)$/);
      // The From input shows the New York wall clock of the URL's instant, and says which zone it is.
      const fromInput = page.getByLabel('From (America/New_York)');
      expect(await fromInput.inputValue()).toBe(isoToZonedInput(from, 'America/New_York'));
      // The rows are on the same clock.
      const table = page.getByRole('table', { name: 'Events matching the filters, newest first' });
      const row = table.getByRole('row').filter({ hasText: INSPECTED_EVENT_ID });
      const time = row.locator('time');
      const iso = (await time.getAttribute('datetime'))!;
      expect((await time.innerText()).replace(/\s+/g, ' ')).toContain(zoneClock(iso, 'America/New_York'));
      // A time typed into From is read on that clock too.
      await fromInput.fill('2026-01-15T07:00:00');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/from=2026-01-15T12%3A00%3A00.000Z/);
      await screenshot('explorer-tenant-zone');

      // A chart names the zone its answer says its buckets are in ("timezone" of GET /v1/metrics), and its
      // bucket table is on that clock.
      const answer = await call(runtime.url, '/v1/metrics?event_type=signup&metric=count&interval=1m', {
        key: tenant.keys.read,
      });
      expect(answer.body.timezone).toBe('America/New_York');
      await page.getByRole('link', { name: 'Dashboards', exact: true }).click();
      const chart = page.getByRole('article', { name: 'signup per minute', exact: true });
      await waitForText(chart.getByTestId('chart-zone'), /^America\/New_York \(UTC−0[45]:00\)$/, LIVE_DATA_TIMEOUT_MS);
      expect(await chart.getByTestId('chart-zone').getAttribute('title')).toMatch(/this answer’s buckets/);
      const bucket = chart.locator('.widget__details time').first();
      const bucketIso = (await bucket.getAttribute('datetime'))!;
      expect((await bucket.textContent())!.replace(/\s+/g, ' ')).toContain(zoneClock(bucketIso, 'America/New_York'));
    } finally {
      expect((await setZone(before.body.timezone as string)).status).toBe(200);
    }

    // Back in UTC (the tenant's own zone, not a fallback).
    await page.reload();
    await waitForText(page.getByTestId('time-zone'), 'UTC');
    // GET /v1/tenant failing (the connection refused): UTC, and the header says it is a fallback.
    await page.route('**/v1/tenant', (route) => route.abort('connectionrefused'));
    await page.reload();
    await waitForText(page.getByTestId('time-zone'), 'UTC (fallback)', LIVE_DATA_TIMEOUT_MS);
    expect(await page.getByTestId('time-zone').getAttribute('title')).toMatch(/UTC/);
    await page.unroute('**/v1/tenant');
  });

  it('shows the datetime inputs whole at 1440 px', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signIn(tenant.keys.read, '#/explorer?from=2026-11-27T10%3A05%3A07.000Z&to=2026-11-28T22%3A59%3A59.000Z');
    const inputs = page.locator('input[type="datetime-local"]');
    await inputs.first().waitFor();
    expect(await inputs.count()).toBe(2);
    for (const input of await inputs.all()) {
      const fits = await input.evaluate((el) => el.scrollWidth <= el.clientWidth);
      expect(fits).toBe(true);
    }
    await screenshot('explorer-1440');
  });

  it('previews a rule without a name, and "24 h" is exactly 86 400 000 ms', async () => {
    await signIn(tenant.keys.admin, '#/alerts');
    await page.getByRole('button', { name: 'New alert rule' }).click();
    const form = page.getByRole('form', { name: 'New alert rule' });
    await form.getByLabel('Event type').fill('checkout_failed');
    await waitForText(form.getByRole('status').filter({ hasText: /^Would/ }), /^Would (not )?have fired/);
    expect(await form.getByLabel('Name').inputValue()).toBe('');

    const previewed = page.waitForResponse(
      (r) =>
        r.url().endsWith('/v1/alert-rules/preview') &&
        (JSON.parse(r.request().postData() ?? '{}') as { from?: string; to?: string }).to !== undefined &&
        Date.parse((JSON.parse(r.request().postData()!) as { to: string }).to) -
          Date.parse((JSON.parse(r.request().postData()!) as { from: string }).from) ===
          86_400_000,
    );
    await form.getByLabel('over the last').selectOption('24h');
    const response = await previewed;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { from: string; to: string };
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(86_400_000);
    await waitForText(form.getByRole('status').filter({ hasText: /^Would/ }), /^Would (not )?have fired/);
    expect(await form.getByRole('alert').count()).toBe(0);
  });

  it('shows an API outage in the header at once and recovers by itself, the explorer included', async () => {
    await signIn(tenant.keys.read);
    await waitForText(page.getByRole('button', { name: /^(Live|Paused|Offline)$/ }), 'Live');
    await page.route('**/v1/**', (route) => route.abort('connectionrefused'));
    await waitForText(
      page.getByRole('alert').filter({ hasText: /API unreachable/ }),
      /^API unreachable since .* · retrying$/,
    );
    await waitForText(page.getByRole('button', { name: /^(Live|Paused|Offline)$/ }), 'Offline');
    // The explorer, opened during the outage, fails with a retryable error: Retry offered, and automatic.
    await page.getByRole('link', { name: 'Explorer', exact: true }).click();
    const failed = page.getByRole('alert').filter({ hasText: 'Could not load events' });
    await waitForText(failed, /Trying again automatically/);
    expect(await failed.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    await screenshot('outage');

    await page.unroute('**/v1/**');
    // Nobody presses Retry: the events come back and the header is live again.
    await page
      .getByRole('table', { name: 'Events matching the filters, newest first' })
      .getByRole('row')
      .filter({ hasText: INSPECTED_EVENT_ID })
      .waitFor();
    await waitForText(page.getByText(/data as of/), /^data as of/);
    await waitForText(page.getByRole('button', { name: /^(Live|Paused|Offline)$/ }), 'Live');
  });

  it('offers Retry only for errors a retry can fix (not a 400)', async () => {
    await signIn(tenant.keys.read, '#/explorer?from=2026-11-28T00%3A00%3A00.000Z&to=2026-11-27T00%3A00%3A00.000Z');
    const failed = page.getByRole('alert').filter({ hasText: 'Could not load events' });
    await waitForText(failed.locator('code').first(), 'invalid_parameter');
    expect(await failed.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await failed.getByText(/Trying again/).count()).toBe(0);
  });

  it('fits a phone: the header does not stay over the content and no table scrolls sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(tenant.keys.admin, '#/explorer?event_type=page_view');
    const table = page.getByRole('table', { name: 'Events matching the filters, newest first' });
    await table.locator('tbody tr').first().waitFor();
    const covered = async () => {
      await page.mouse.wheel(0, 600);
      await page.waitForFunction(() => window.scrollY > 0);
      return page.evaluate(() => {
        const r = document.querySelector('.topbar')!.getBoundingClientRect();
        return Math.max(0, Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0)) / window.innerHeight;
      });
    };
    expect(await covered()).toBeLessThan(0.1);
    const overflow = () =>
      page.evaluate(() => ({
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        tables: Array.from(document.querySelectorAll('.table-scroll')).map((box) => box.scrollWidth - box.clientWidth),
      }));
    expect(await overflow()).toEqual({ page: 0, tables: [0] });
    // A stacked row says what each value is.
    expect(await table.locator('tbody tr').first().locator('td').nth(1).getAttribute('data-label')).toBe('Event type');
    await screenshot('explorer-phone');

    await page.getByRole('link', { name: 'Projects & keys', exact: true }).click();
    await page.getByRole('table', { name: 'API keys' }).locator('tbody tr').first().waitFor();
    const settings = await overflow();
    expect(settings.page).toBe(0);
    expect(settings.tables.every((t) => t === 0)).toBe(true);
    await screenshot('settings-phone');
  });

  it('gives every badge and state pill at least 4.5:1 contrast in both themes', async () => {
    await signIn(tenant.keys.admin, '#/alerts');
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    // Every badge and state the app renders, as the app's markup, measured from the computed styles.
    const classes = [
      'badge',
      'badge badge--warn',
      'badge badge--admin',
      ...['ok', 'firing', 'pending', 'no_data', 'disabled', 'error', 'unevaluated'].map((s) => `state state--${s}`),
    ];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const measured = await page.evaluate((list) => {
        const host = document.createElement('div');
        host.className = 'panel';
        document.querySelector('main')!.append(host);
        const out = list.map((className) => {
          const el = document.createElement('span');
          el.className = className;
          el.textContent = 'firing';
          host.append(el);
          const color = getComputedStyle(el).color;
          let node: Element | null = el;
          let background = 'rgba(0, 0, 0, 0)';
          while (node && /rgba\(.*, 0\)$|transparent/.test(background)) {
            background = getComputedStyle(node).backgroundColor;
            node = node.parentElement;
          }
          return { className, color, background };
        });
        host.remove();
        return out;
      }, classes);
      for (const { className, color, background } of measured)
        expect({ scheme, className, ratio: contrastRatio(color, background) >= 4.5 }).toEqual({
          scheme,
          className,
          ratio: true,
        });
    }
  });

  it('lists keys with their names, marks the current key and offers no Revoke on it', async () => {
    await signIn(tenant.keys.admin, '#/settings');
    const keys = page.getByRole('table', { name: 'API keys' });
    await keys.locator('tbody tr').first().waitFor();
    expect((await keys.locator('thead th').allInnerTexts())[0]).toBe('Name');
    const current = keys.locator('tbody tr').filter({ hasText: 'current key' });
    expect(await current.count()).toBe(1);
    expect(tenant.keys.admin.startsWith((await current.locator('td.mono').innerText()).replace('…', ''))).toBe(true);
    expect(await current.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
    const others = keys.locator('tbody tr').filter({ hasNotText: 'current key' }).filter({ hasNotText: 'revoked' });
    expect(await others.count()).toBeGreaterThan(0);
    for (const row of await others.all()) expect(await row.getByRole('button', { name: /^Revoke/ }).count()).toBe(1);
  });

  it('says when an interval override is refused, and offers only intervals that fit the range', async () => {
    await signIn(tenant.keys.read, '#/dashboards?range=7d&interval=10s');
    const chart = page.getByRole('article', { name: 'signup per minute', exact: true });
    await waitForText(
      chart.getByTestId('interval-note'),
      'per 10 s refused (10 s data is kept 24 h, shorter than 7 d)',
    );
    await waitForText(chart.locator('.widget__meta'), /per 1 h/);
    const interval = page.getByLabel('Interval', { exact: true });
    expect(await interval.locator('option[value="10s"]').isDisabled()).toBe(true);
    expect(await interval.locator('option[value="1h"]').isDisabled()).toBe(false);
  });

  it('shows a rule the engine has not evaluated yet as "not evaluated yet", not "ok"', async () => {
    const created = await call(runtime.url, '/v1/alert-rules', {
      key: tenant.keys.admin,
      json: {
        name: `E2E fresh ${run}`,
        event_type: 'signup',
        condition: { op: '>', threshold: 1000 },
        window: '5m',
        enabled: true,
      },
    });
    expect(created.status).toBe(201);
    await signIn(tenant.keys.read, '#/alerts');
    const card = page.getByRole('article', { name: `E2E fresh ${run}` });
    // The engine evaluates an ok rule when events of its type arrive: none has since the rule was made.
    await waitForText(card.getByTestId('rule-state'), 'not evaluated yet');
    expect(await card.getByTestId('rule-state').getAttribute('title')).toMatch(/not evaluated this rule yet/);
    // A signup arrives: the rule is evaluated, 1 signup in 5 min is not above 1000, so it is ok.
    await post([{ event_type: 'signup', project: 'web', event_id: `e2e-fresh-${run}` }]);
    await waitForText(card.getByTestId('rule-state'), 'ok', LIVE_DATA_TIMEOUT_MS);
  });
});

describe('charts', () => {
  it('draws several series with legends, the previous range and the unfinished bucket; exports CSV; zooms; edits live', async () => {
    const made = await call(runtime.url, '/v1/dashboards', {
      key: tenant.keys.admin,
      json: {
        name: `Charts ${run}`,
        widgets: [
          {
            type: 'timeseries',
            title: 'Views and failures',
            chart: 'line',
            query: {
              event_type: 'page_view',
              metric: 'count',
              interval: '1m',
              range: '1h',
              compare: 'previous',
              series: [{ event_type: 'checkout_failed', label: 'failures' }],
            },
            layout: { x: 0, y: 1, w: 12, h: 3 },
          },
        ],
      },
    });
    expect(made.status).toBe(201);
    await signIn(tenant.keys.admin, `#/dashboards?id=${made.body.id}`);
    const widget = page.getByRole('article', { name: 'Views and failures' });
    // Lines with a height (a flat one has no box): the finished buckets or the current one hold the events.
    await widget
      .locator('path.recharts-line-curve')
      .filter({ visible: true })
      .first()
      .waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    // One legend entry per series, with its total and unit; the previous range is there too.
    const legend = widget.getByRole('list', { name: 'Legend' });
    await waitForText(legend.locator('li').filter({ hasText: /^page_view / }), /^page_view total \d+ events$/);
    await waitForText(legend.locator('li').filter({ hasText: /^failures / }), /^failures total \d+ events$/);
    await legend.getByText('page_view, previous range').waitFor();
    // The current bucket is still filling: drawn dashed, and the legend says so.
    expect(await widget.locator('path[stroke-dasharray="4 4"]').count()).toBeGreaterThan(0);
    await legend.getByText(/the current bucket, still filling/).waitFor();
    await screenshot('chart-multi');

    // CSV of the widget, fetched with the key, saved with the server's file name.
    const downloading = page.waitForEvent('download');
    await widget.getByRole('button', { name: 'Download CSV' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^t,value/);

    // Drag across the chart: the dashboard shows that absolute range.
    const surface = (await widget.locator('.recharts-wrapper').boundingBox())!;
    const y = surface.y + surface.height / 2;
    await page.mouse.move(surface.x + surface.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(surface.x + surface.width * 0.5, y, { steps: 5 });
    await page.mouse.move(surface.x + surface.width * 0.7, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL(/from=.*&to=|to=.*&from=/);
    const params = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    expect(Date.parse(params.get('to')!) - Date.parse(params.get('from')!)).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await page.waitForURL((url) => !url.hash.includes('from='));

    // The editor shows the widget live while editing, and keeps its place (x/y) on the grid.
    await page.getByRole('button', { name: 'Edit dashboard' }).click();
    const editor = page.getByRole('form', { name: /^Edit dashboard/ });
    const fieldset = editor.locator('fieldset.widget-editor').first();
    await fieldset.getByLabel('Chart').selectOption('bar');
    const preview = fieldset.getByRole('region', { name: 'Preview of Widget 1' });
    await preview.locator('.recharts-bar-rectangle').first().waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    await fieldset.getByLabel('Width').selectOption('6');
    // The saved dashboard is read once the PUT has answered: the bars may be drawn before it does (the editor
    // shows the edited widget live), so waiting for them alone raced the save.
    const put = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/v1/dashboards/${made.body.id}`,
    );
    await editor.getByRole('button', { name: 'Save dashboard' }).click();
    expect((await put).status()).toBe(200);
    await page
      .getByRole('article', { name: 'Views and failures' })
      .locator('.recharts-bar-rectangle')
      .first()
      .waitFor();
    const saved = await call(runtime.url, `/v1/dashboards/${made.body.id}`, { key: tenant.keys.read });
    expect(saved.body.widgets[0]).toMatchObject({ chart: 'bar', layout: { x: 0, y: 1, w: 6, h: 3 } });
  });

  it('breaks a chart down by a declared dimension exactly as GET /v1/metrics does; a group_by rule shows its groups', async () => {
    // A dimension declared through the catalog (docs/api.md#dimensions); buckets before its
    // dimension_rollups_from are answered from raw events, later ones from the rollups: the UI shows either.
    const eventType = `plan_view_${run}`;
    const declared = await call(runtime.url, `/v1/catalog/${encodeURIComponent(eventType)}`, {
      method: 'PUT',
      key: tenant.keys.admin,
      json: { project: 'web', dimensions: ['plan'] },
    });
    expect([200, 201]).toContain(declared.status);
    expect(declared.body.dimensions).toEqual(['plan']);
    // 12 values and 2 events without the property: the default limit (10) keeps the largest, ties by value, so
    // v8 and v9 are $other and the two without a plan $none.
    const plans = [
      ...Array<string>(6).fill('pro'),
      ...Array<string>(4).fill('team'),
      ...Array<string>(3).fill('free'),
      ...Array.from({ length: 9 }, (_, i) => `v${i + 1}`),
      null,
      null,
    ];
    await post(
      plans.map((plan, i) => ({
        event_type: eventType,
        project: 'web',
        event_id: `e2e-plan-${run}-${i}`,
        user_id: `user-${i}`,
        properties: plan === null ? { step: i } : { plan, step: i },
      })),
    );
    await eventually(
      async () => ((await metricTotal(eventType)) === plans.length ? true : undefined),
      LIVE_DATA_TIMEOUT_MS,
    );

    // The widget is built in the editor, the way a person would.
    const made = await call(runtime.url, '/v1/dashboards', {
      key: tenant.keys.admin,
      json: { name: `Breakdown ${run}`, widgets: [] },
    });
    expect(made.status).toBe(201);
    await signIn(tenant.keys.admin, `#/dashboards?id=${made.body.id}`);
    await page.getByRole('button', { name: 'Edit dashboard' }).click();
    const editor = page.getByRole('form', { name: /^Edit dashboard/ });
    await editor.getByRole('button', { name: 'Add widget' }).click();
    const fieldset = editor.locator('fieldset.widget-editor').last();
    await fieldset.getByLabel('Title').fill('Views by plan');
    await fieldset.getByLabel('Event type').fill(eventType);
    await fieldset.getByLabel('Break down by property').fill('plan');
    const answered = page.waitForResponse(
      (r) => r.url().includes('/v1/metrics?') && new URL(r.url()).searchParams.get('breakdown') === 'plan',
    );
    await editor.getByRole('button', { name: 'Save dashboard' }).click();
    const widget = page.getByRole('article', { name: 'Views by plan' });
    const legend = widget.getByRole('list', { name: 'Legend' });
    await legend.locator('li').first().waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    const asked = new URL((await answered).url());
    const saved = await call(runtime.url, `/v1/dashboards/${made.body.id}`, { key: tenant.keys.read });
    expect(saved.body.widgets[0].query).toMatchObject({ event_type: eventType, breakdown: { path: 'plan' } });

    // The same query, asked by the test: the page shows exactly its series, in its order, with its totals.
    const real = await call(runtime.url, `/v1/metrics?${asked.searchParams.toString()}`, { key: tenant.keys.read });
    expect(real.status).toBe(200);
    type Series = { value: string; total: number; points: { value: number }[] };
    const series = real.body.series as Series[];
    expect(series.map((x) => [x.value, x.total])).toEqual([
      ['pro', 6],
      ['team', 4],
      ['free', 3],
      ...Array.from({ length: 7 }, (_, i) => [`v${i + 1}`, 1]),
      ['$other', 2],
      ['$none', 2],
    ]);
    for (const x of series) expect(x.points.reduce((sum, p) => sum + p.value, 0)).toBe(x.total);
    const name = (value: string) =>
      value === '$other' ? 'other values' : value === '$none' ? '(property missing)' : value;
    // One legend entry per series (the legend also notes the bucket still filling: not a series).
    const expectedLegend = series.map((x) => `${name(x.value)} total ${x.total} events`);
    await eventually(async () => {
      const shown = (await legend.locator('li').allInnerTexts())
        .map((t) => t.replace(/\s+/g, ' ').trim())
        .filter((t) => / total /.test(t));
      return JSON.stringify(shown) === JSON.stringify(expectedLegend) ? true : undefined;
    }, LIVE_DATA_TIMEOUT_MS).catch(async (error: unknown) => {
      throw new Error(`legend ${JSON.stringify(await legend.locator('li').allInnerTexts())}: ${String(error)}`);
    });
    expect(await widget.locator('[data-chart-kind]').getAttribute('data-chart-kind')).toBe('stacked');
    await widget
      .getByText(`Breakdown by plan, read from ${real.body.source === 'raw' ? 'raw events' : 'rollups'}.`)
      .waitFor();
    await screenshot('chart-breakdown');

    // A per-segment rule made in the form: it saves with group_by, and its card shows each group's state.
    const ruleName = `Plans ${run}`;
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.getByRole('button', { name: 'New alert rule' }).click();
    const form = page.getByRole('form', { name: 'New alert rule' });
    await form.getByLabel('Name').fill(ruleName);
    await form.getByLabel('Event type').fill(eventType);
    await form.getByLabel('Alert per value of (optional)').fill('plan');
    await form.getByLabel('Condition').selectOption('>');
    await form.getByLabel('Threshold').fill('2');
    await form.getByLabel('Window').fill('5m');
    await form.getByRole('button', { name: 'Create rule' }).click();
    const card = page.getByRole('article', { name: ruleName });
    await card.waitFor();
    const rules = await call(runtime.url, '/v1/alert-rules', { key: tenant.keys.read });
    const rule = (rules.body.rules as { id: string; name: string; group_by?: string }[]).find(
      (r) => r.name === ruleName,
    )!;
    expect(rule.group_by).toBe('plan');
    // Fresh events of two new values: gold (3 > 2) fires, bronze (1) is ok, whatever else is still in the window.
    await post(
      ['gold', 'gold', 'gold', 'bronze'].map((plan, i) => ({
        event_type: eventType,
        project: 'web',
        event_id: `e2e-plan-alert-${run}-${i}`,
        properties: { plan },
      })),
    );
    const groupsList = card.getByRole('list', { name: `Groups of ${ruleName}` });
    await waitForText(
      groupsList.locator('li').filter({ hasText: 'plan = gold' }),
      /^plan = gold firing/,
      LIVE_DATA_TIMEOUT_MS,
    );
    await waitForText(groupsList.locator('li').filter({ hasText: 'plan = bronze' }), /^plan = bronze ok/);
    // The card lists exactly the API's groups, in its order (firing first), with their states.
    await eventually(async () => {
      const api = await call(runtime.url, `/v1/alert-rules/${rule.id}`, { key: tenant.keys.read });
      const expected = (api.body.groups as { key: string; state: string }[]).map((g) => `plan = ${g.key} ${g.state}`);
      const shown = (await groupsList.locator('li').allInnerTexts()).map((t) =>
        t
          .replace(/\s+/g, ' ')
          .replace(/ value .*$| since .*$/, '')
          .trim(),
      );
      return JSON.stringify(shown) === JSON.stringify(expected) ? true : undefined;
    }, LIVE_DATA_TIMEOUT_MS);
    await screenshot('alert-groups');
  });

  it('shows a breakdown on number and table widgets with the limit set in the editor, as GET /v1/metrics answers it', async () => {
    // 4 tiers and an event without one: with Top values 2, gold and silver have their own series, bronze and copper
    // are other values, the last is (property missing).
    const eventType = `tier_view_${run}`;
    const tiers = [
      ...Array<string>(5).fill('gold'),
      ...Array<string>(3).fill('silver'),
      'bronze',
      'bronze',
      'copper',
      null,
    ];
    await post(
      tiers.map((tier, i) => ({
        event_type: eventType,
        project: 'web',
        event_id: `e2e-tier-${run}-${i}`,
        properties: tier === null ? { step: i } : { tier, step: i },
      })),
    );
    await eventually(
      async () => ((await metricTotal(eventType)) === tiers.length ? true : undefined),
      LIVE_DATA_TIMEOUT_MS,
    );
    const made = await call(runtime.url, '/v1/dashboards', {
      key: tenant.keys.admin,
      json: { name: `Tiers ${run}`, widgets: [] },
    });
    expect(made.status).toBe(201);
    await signIn(tenant.keys.admin, `#/dashboards?id=${made.body.id}`);
    await page.getByRole('button', { name: 'Edit dashboard' }).click();
    const editor = page.getByRole('form', { name: /^Edit dashboard/ });
    const save = editor.getByRole('button', { name: 'Save dashboard' });
    const limitMessage = 'Top values must be a whole number from 1 to 20 (leave it empty for 10)';
    for (const [type, title] of [
      ['number', 'Tiers'],
      ['table', 'Tiers per minute'],
    ] as const) {
      await editor.getByRole('button', { name: 'Add widget' }).click();
      const fieldset = editor.locator('fieldset.widget-editor').last();
      await fieldset.getByLabel('Type', { exact: true }).selectOption(type);
      await fieldset.getByLabel('Title').fill(title);
      await fieldset.getByLabel(/^Event type/).fill(eventType);
      await fieldset.getByLabel('Break down by property').fill('tier');
      // The limit field: out of range or not a number is refused with a message, and the dashboard cannot be saved.
      const limit = fieldset.getByLabel('Top values');
      for (const bad of ['0', '25', 'two']) {
        await limit.fill(bad);
        await waitForText(
          fieldset.locator('.field__hint .form-error'),
          new RegExp(`^${limitMessage.replace(/[()]/g, '\\$&')}`),
        );
        expect(await limit.getAttribute('aria-invalid')).toBe('true');
        expect(await save.isDisabled()).toBe(true);
      }
      await limit.fill('2');
      expect(await fieldset.locator('.field__hint .form-error').count()).toBe(0);
      expect(await save.isDisabled()).toBe(false);
    }
    await screenshot('breakdown-editor');
    const answered = page.waitForResponse(
      (r) => r.url().includes('/v1/metrics?') && new URL(r.url()).searchParams.get('breakdown') === 'tier',
    );
    await save.click();
    const number = page.getByRole('article', { name: 'Tiers', exact: true });
    const table = page.getByRole('article', { name: 'Tiers per minute', exact: true });
    await number.getByTestId('breakdown-row').first().waitFor({ timeout: LIVE_DATA_TIMEOUT_MS });
    const asked = new URL((await answered).url());
    expect(asked.searchParams.get('limit')).toBe('2');
    const saved = await call(runtime.url, `/v1/dashboards/${made.body.id}`, { key: tenant.keys.read });
    for (const widget of saved.body.widgets as { query: unknown }[])
      expect(widget.query).toMatchObject({ event_type: eventType, breakdown: { path: 'tier', limit: 2 } });

    // The same query asked by the test: the widgets show exactly its series, in its order, with its totals.
    const real = await call(runtime.url, `/v1/metrics?${asked.searchParams.toString()}`, { key: tenant.keys.read });
    expect(real.status).toBe(200);
    const series = real.body.series as { value: string; total: number; points: { t: string; value: number }[] }[];
    const points = real.body.points as { t: string; value: number }[];
    expect(series.map((x) => [x.value, x.total])).toEqual([
      ['gold', 5],
      ['silver', 3],
      ['$other', 3],
      ['$none', 1],
    ]);
    const sum = points.reduce((a, p) => a + p.value, 0);
    expect(sum).toBe(tiers.length);
    const name = (value: string) =>
      value === '$other' ? 'other values' : value === '$none' ? '(property missing)' : value;
    const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

    // Number: the total, then each value with its total and share of the total.
    await waitForText(number.getByTestId('number-value'), String(sum), LIVE_DATA_TIMEOUT_MS);
    const rows = (await number.getByTestId('breakdown-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(rows).toEqual(series.map((x) => `${name(x.value)} ${x.total} ${percent.format(x.total / sum)}`));
    // A value links to its events; other values and (property missing) do not (no filter selects them).
    const gold = new URL(
      (await number.getByRole('link', { name: 'gold', exact: true }).getAttribute('href'))!,
      runtime.url,
    );
    expect(new URLSearchParams(gold.hash.split('?')[1]).get('prop.tier')).toBe('gold');
    expect(await number.getByRole('link', { name: 'other values' }).count()).toBe(0);

    // Table: Total (the widget's own series), then a column per value; the first row is the whole range, and every
    // bucket's values add up to its total.
    const grid = table.getByRole('table');
    await waitForText(grid.getByTestId('breakdown-totals'), /^Whole range/, LIVE_DATA_TIMEOUT_MS);
    const headers = (await grid.locator('thead th').allInnerTexts()).map((t) => t.trim());
    expect(headers.slice(0, -1)).toEqual(['Bucket start', 'Total (count)', ...series.map((x) => name(x.value))]);
    const cells = async (row: Locator) => (await row.locator('th, td').allInnerTexts()).map((t) => t.trim());
    expect((await cells(grid.getByTestId('breakdown-totals'))).slice(0, -1)).toEqual([
      'Whole range',
      String(sum),
      ...series.map((x) => String(x.total)),
    ]);
    const bodyRows = grid.locator('tbody tr:not([data-testid="breakdown-totals"])');
    expect(await bodyRows.count()).toBe(points.length);
    // Newest first, each bucket as the API's.
    const shown = await Promise.all((await bodyRows.all()).map(cells));
    const expected = [...points]
      .reverse()
      .map((p) => [String(p.value), ...series.map((x) => String(x.points.find((q) => q.t === p.t)!.value))]);
    expect(shown.map((r) => r.slice(1, -1))).toEqual(expected);
    for (const r of shown) expect(Number(r[1])).toBe(r.slice(2, -1).reduce((a, v) => a + Number(v), 0));
    await waitForText(table.getByTestId('breakdown-reconcile'), /in every bucket it is the sum of the 4 value columns/);
    await screenshot('breakdown-number-table');
  });

  it('exports every matching event, following X-Next-Cursor, as one file', async () => {
    // 150 events of ~30 KB: more than one export page (a page ends before 4 MB, docs/api.md#export).
    const eventType = `export_big_${run}`;
    const ids = Array.from({ length: 150 }, (_, i) => `e2e-export-${run}-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 25)
      await post(
        ids.slice(i, i + 25).map((eventId, j) => ({
          event_type: eventType,
          project: 'web',
          event_id: eventId,
          properties: { blob: 'x'.repeat(30_000), n: i + j },
        })),
      );
    await eventually(
      async () => ((await metricTotal(eventType)) === ids.length ? true : undefined),
      LIVE_DATA_TIMEOUT_MS,
    );
    const stored = await call(runtime.url, `/v1/events?event_type=${eventType}&limit=1000`, { key: tenant.keys.read });
    const storedIds = (stored.body.events as { event_id: string }[]).map((e) => e.event_id).sort();
    expect(storedIds).toEqual([...ids].sort());

    const pages: { params: URLSearchParams; status: number; next: string | undefined }[] = [];
    const onResponse = (r: import('playwright-core').Response) => {
      if (r.url().includes('/v1/events/export?'))
        pages.push({ params: new URL(r.url()).searchParams, status: r.status(), next: r.headers()['x-next-cursor'] });
    };
    page.on('response', onResponse);
    try {
      await signIn(tenant.keys.read, `#/explorer?event_type=${eventType}`);
      await page
        .getByRole('table', { name: 'Events matching the filters, newest first' })
        .locator('tbody tr')
        .first()
        .waitFor();
      const downloading = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export CSV' }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe('events-export.csv');
      const lines = (await readFile((await download.path())!, 'utf8')).split('\r\n').filter((l) => l !== '');
      expect(lines[0]).toBe(
        'event_id,event_type,project,timestamp,received_at,user_id,session_id,properties,context,anonymous_id',
      );
      const exported = lines.slice(1).map((line) => line.split(',', 1)[0]!);
      // Exactly the stored events: each once, the page headers not repeated.
      expect([...exported].sort()).toEqual(storedIds);
      expect(new Set(exported).size).toBe(exported.length);
    } finally {
      page.off('response', onResponse);
    }
    // At least two pages, each after the first asked with the cursor the one before answered.
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.every((p) => p.status === 200)).toBe(true);
    for (let i = 1; i < pages.length; i += 1) expect(pages[i]!.params.get('cursor')).toBe(pages[i - 1]!.next);
    expect(pages[pages.length - 1]!.next).toBeUndefined();
    expect(pages.map((p) => [p.params.getAll('event_type'), p.params.get('format')])).toEqual(
      pages.map(() => [[eventType], 'csv']),
    );
  });
});
