// Funnels, retention, people and erasure in a real browser against the local runtime (built SPA + API on one
// origin, real Kafka, Postgres and Redis): a hand-built history with known answers, read through the screens the way
// a person would (navigation links, labelled fields, a click on a bar).
// Needs /usr/bin/chromium (scripts/install-chromium.sh). Screenshots go to /tmp/cs-screens/.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestEnv, eventually, type TestEnv, type TestTenant } from '../../test/harness';
import { call } from '../../test/builders';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import {
  collectProblems,
  launchBrowser,
  newContext,
  signInWithKey,
  unexpectedProblems,
  waitForText,
  webDist,
  type WebDist,
} from './browser';

const SCREENS = '/tmp/cs-screens';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dist: WebDist | undefined;
let env: TestEnv;
let tenant: TestTenant;
let runtime: LocalRuntime;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const run = randomBytes(3).toString('hex');
/** Five persons sign up at noon two days ago; three check out an hour later; two of those log in a day after signing up. */
const USERS = [1, 2, 3, 4, 5].map((i) => `u${i}-${run}`);
const [U1, U2, U3, U4, U5] = USERS as [string, string, string, string, string];
const CONVERTED = [U1, U2, U3];
const DROPPED = [U4, U5];
const RETURNED = [U1, U2];
/** An anonymous id whose events a later event merges into U1 (anonymous_id beside user_id). */
const ANON = `anon-${run}`;
const EMAIL = `u1-${run}@example.com`;
/** Noon (UTC, the tenant's zone) two days ago: the signups share a day, and the logins a day later are past. */
const SIGNUP_AT = Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 12 * HOUR;

async function eventCount(): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const res = await call(
      runtime.url,
      `/v1/events?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: tenant.keys.read },
    );
    if (res.status !== 200) throw new Error(`GET /v1/events answered ${res.status}`);
    count += (res.body.events as unknown[]).length;
    cursor = res.body.next_cursor as string | null;
  } while (cursor !== null);
  return count;
}

const signIn = (key: string, hash = ''): Promise<void> => signInWithKey(page, runtime.url, key, hash);

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

async function openFunnel(): Promise<void> {
  await page.getByRole('link', { name: 'Funnels', exact: true }).click();
  await page.getByRole('heading', { name: 'Funnels', exact: true }).waitFor();
  await page.getByLabel('Step 1 event type', { exact: true }).fill('signup');
  await page.getByLabel('Step 2 event type', { exact: true }).fill('checkout');
  await page.getByRole('button', { name: 'Run funnel' }).click();
}

beforeAll(async () => {
  await mkdir(SCREENS, { recursive: true });
  let launched: Browser | undefined;
  dist = await webDist();
  const [createdEnv] = await Promise.all([
    createTestEnv('analytics_web', { WEB_DIST_DIR: dist.dir }),
    launchBrowser().then((b) => (launched = b)),
  ]);
  env = createdEnv;
  browser = launched!;
  tenant = await env.createTenant();
  runtime = await startLocalRuntime(env.adapters, { port: 0, web: true, scheduler: false });

  const signupAt = SIGNUP_AT;
  const at = (ms: number) => new Date(ms).toISOString();
  const events = [
    ...USERS.map((u, i) => ({
      event_type: 'signup',
      user_id: u,
      timestamp: at(signupAt + i * 1000),
      properties: { plan: i < 2 ? 'pro' : 'free' },
    })),
    ...CONVERTED.map((u) => ({ event_type: 'checkout', user_id: u, timestamp: at(signupAt + HOUR) })),
    ...RETURNED.map((u) => ({ event_type: 'login', user_id: u, timestamp: at(signupAt + DAY) })),
    // U1's browsing before signing in, then the event that names both ids: the person U1 has both.
    { event_type: 'page_view', anonymous_id: ANON, timestamp: at(signupAt - HOUR) },
    { event_type: 'page_view', anonymous_id: ANON, user_id: U1, timestamp: at(signupAt + 2 * HOUR) },
    // U1's traits.
    {
      event_type: '$identify',
      user_id: U1,
      timestamp: at(signupAt + 3 * HOUR),
      properties: { email: EMAIL, plan: 'pro' },
    },
  ].map((e, i) => ({ ...e, project: 'web', event_id: `e2e-an-${run}-${i}` }));
  const posted = await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } });
  expect(posted.status).toBe(202);
  expect(posted.body).toMatchObject({ accepted: events.length, rejected: 0 });
  await eventually(async () => ((await eventCount()) === events.length ? true : undefined), 30_000);
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await runtime?.stop();
  await env?.cleanup();
  await dist?.cleanup();
});

beforeEach(async () => {
  context = await newContext(browser);
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

describe('funnels, retention and people in a real browser', () => {
  it('builds the signup → checkout funnel, shows who dropped (a click on the bar) and opens a person', async () => {
    const problems = collectProblems(page);
    await signIn(tenant.keys.read);
    await openFunnel();

    await waitForText(page.getByTestId('step-1-count'), '5');
    await waitForText(page.getByTestId('step-2-count'), '3');
    await waitForText(page.getByTestId('step-2-dropped'), '2');
    await page.getByRole('heading', { name: '60.0% converted from step 1 to step 2' }).waitFor();
    // The definition is in the URL: a reload shows the same funnel.
    expect(page.url()).toContain('#/funnels?');
    await screenshot('funnels');

    // A click on the dropped part of step 2's bar (the second bar series, second step) lists who dropped.
    await page.locator('.funnel-chart .recharts-bar').nth(1).locator('.recharts-bar-rectangle path').last().click();
    const persons = page.getByRole('region', { name: 'Funnel persons' });
    await persons.getByRole('heading', { name: /did step 1 but not step 2/ }).waitFor();
    await waitForText(persons.getByRole('status'), 'Showing 2 persons');
    const listed = await persons.getByRole('link').allTextContents();
    expect(listed.sort()).toEqual([...DROPPED].sort());

    // The converted persons, from the table's button.
    await page.getByRole('button', { name: 'Persons who reached step 2', exact: true }).click();
    await waitForText(persons.getByRole('status'), 'Showing 3 persons');
    expect((await persons.getByRole('link').allTextContents()).sort()).toEqual([...CONVERTED].sort());

    // Breakdown by plan (first touch): pro holds U1 and U2, both converted.
    await page.getByLabel('Breakdown property', { exact: true }).fill('plan');
    await page.getByRole('button', { name: 'Run funnel' }).click();
    await page.getByLabel(/^Breakdown value/).selectOption('pro');
    await waitForText(page.getByTestId('step-1-count'), '2');
    await waitForText(page.getByTestId('step-2-count'), '2');

    // A person link opens the person page.
    await page.getByRole('button', { name: 'Persons who reached step 2', exact: true }).click();
    await persons.getByRole('link', { name: U2, exact: true }).click();
    await page.getByRole('heading', { name: `Person ${U2}` }).waitFor();
    // The one expected failure: the scope probe (GET /v1/api-keys) answers 403 to a read key.
    expect(unexpectedProblems(problems)).toEqual([]);
  });

  it('shows the API’s own message for a funnel it refuses', async () => {
    await signIn(tenant.keys.read);
    await page.getByRole('link', { name: 'Funnels', exact: true }).click();
    await page.getByLabel('Step 1 event type', { exact: true }).fill('signup');
    await page.getByLabel('Step 2 event type', { exact: true }).fill('checkout');
    await page.getByLabel('Breakdown property', { exact: true }).fill('a..b');
    await page.getByRole('button', { name: 'Run funnel' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not run the funnel' });
    await waitForText(alert, /breakdown must be a property name or a dotted path/);
    await waitForText(alert, /HTTP 400/);
    // A 4xx is not retried: no Retry button.
    expect(await alert.getByRole('button', { name: 'Retry' }).count()).toBe(0);
  });

  it('shows day-by-day and weekly retention as a cohort grid in the tenant’s time zone, by a breakdown value', async () => {
    await signIn(tenant.keys.read);
    await page.getByRole('link', { name: 'Retention', exact: true }).click();
    await page.getByLabel('Start event', { exact: true }).fill('signup');
    await page.getByLabel('Return event', { exact: true }).fill('login');
    await page.getByLabel('Period', { exact: true }).selectOption('day');
    await page.getByLabel('Periods', { exact: true }).fill('3');
    await page.getByLabel('Cohorts in', { exact: true }).selectOption('7d');
    await page.getByRole('button', { name: 'Show retention' }).click();

    const grid = page.getByRole('table', { name: /Share of each cohort/ });
    await grid.waitFor();
    // One cohort of 5 (the signups two days ago, all on one UTC day); day 1: U1 and U2 came back (40%).
    await grid.getByTestId('cohort-size').first().waitFor();
    const sizes = await grid.getByTestId('cohort-size').allTextContents();
    expect(sizes).toContain('5');
    expect(sizes.filter((s) => s !== '0')).toEqual(['5']);
    const row = grid.locator('tbody tr').nth(1 + sizes.indexOf('5'));
    const cells = await row.locator('td.retention-grid__cell').allTextContents();
    expect(cells.slice(0, 2)).toEqual(['0.0%0', '40.0%2']);
    await waitForText(page.getByTestId('retention-zone'), /UTC/);
    expect(await page.getByTestId('time-zone').textContent()).toContain('UTC');
    await screenshot('retention');

    // Weeks from Monday, broken down by the plan on the signup: pro holds U1 and U2, both back in their week.
    await page.getByLabel('Period', { exact: true }).selectOption('week');
    await page.getByLabel('Periods', { exact: true }).fill('2');
    await page.getByLabel('Breakdown property', { exact: true }).fill('plan');
    await page.getByRole('button', { name: 'Show retention' }).click();
    await page.getByLabel('Breakdown value', { exact: true }).selectOption('pro');
    await waitForText(page.getByRole('heading', { name: /persons in \d+ cohorts?/ }), /^2 persons in/);
    const weekSizes = await grid.getByTestId('cohort-size').allTextContents();
    expect(weekSizes.filter((n) => n !== '0')).toEqual(['2']);
    const weekRow = grid.locator('tbody tr').nth(1 + weekSizes.indexOf('2'));
    const weekCells = await weekRow.locator('td.retention-grid__cell').allTextContents();
    // The logins are a day after the signups: the same Monday week unless the signups were on a Sunday.
    if (new Date(SIGNUP_AT).getUTCDay() !== 0) expect(weekCells[0]).toBe('100.0%2');
    else expect(weekCells.slice(0, 2)).toEqual(['0.0%0', '100.0%2']);
  });

  it('finds a person, shows the merged ids, traits and timeline, and hides erasure from a read key', async () => {
    await signIn(tenant.keys.read);
    await page.getByRole('link', { name: 'People', exact: true }).click();
    // A trait value contains the text: only U1 has this e-mail.
    await page.getByLabel('Search people', { exact: true }).fill(`${run}@example`);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('region', { name: 'Search results' });
    await waitForText(results.getByRole('status'), 'Showing 1 person');
    await results.getByRole('link', { name: U1, exact: true }).click();

    await page.getByRole('heading', { name: `Person ${U1}` }).waitFor();
    const ids = page.getByRole('table', { name: "The person's ids" });
    await ids.getByText(ANON, { exact: true }).waitFor();
    await ids.getByText(U1, { exact: true }).waitFor();
    // signup, checkout, login, both page views and the identify: every id's events, merged.
    await waitForText(page.getByTestId('person-event-count'), '6');
    const traits = page.getByRole('table', { name: "The person's latest traits" });
    expect(await traits.locator('tbody tr').allInnerTexts()).toEqual([`email\t${EMAIL}`, 'plan\tpro']);
    const timeline = page.getByRole('table', { name: "The person's events, newest first" });
    // Newest first: the login a day after signing up; the anonymous page view before it is there too.
    await waitForText(timeline.locator('tbody tr').first(), /login/);
    expect(await timeline.locator('tbody tr').count()).toBe(6);
    expect(await timeline.locator('tbody tr').filter({ hasText: 'page_view' }).count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Erase this person' }).count()).toBe(0);
    await screenshot('person');

    // A user id in the explorer opens the person too.
    await page.getByRole('link', { name: 'Explorer', exact: true }).click();
    await page.getByRole('link', { name: U3, exact: true }).first().click();
    await page.getByRole('heading', { name: `Person ${U3}` }).waitFor();
  });

  it('saves a funnel and a retention query to a dashboard, where they show the same numbers, to a read key too', async () => {
    await signIn(tenant.keys.admin);
    await openFunnel();
    await waitForText(page.getByTestId('step-2-count'), '3');
    const saveForm = page.getByRole('form', { name: 'Save to dashboard' });
    await page.getByRole('button', { name: 'Save to dashboard' }).click();
    await saveForm.getByLabel('Widget title', { exact: true }).fill('Signup funnel');
    await saveForm.getByLabel('Widget range', { exact: true }).selectOption('7d');
    await saveForm.getByRole('button', { name: 'Save widget' }).click();
    await waitForText(saveForm.getByRole('status'), /^Saved to Overview/);

    await page.getByRole('link', { name: 'Retention', exact: true }).click();
    await page.getByLabel('Start event', { exact: true }).fill('signup');
    await page.getByLabel('Return event', { exact: true }).fill('login');
    await page.getByLabel('Period', { exact: true }).selectOption('day');
    await page.getByLabel('Periods', { exact: true }).fill('3');
    await page.getByLabel('Cohorts in', { exact: true }).selectOption('7d');
    await page.getByRole('button', { name: 'Show retention' }).click();
    await page.getByRole('table', { name: /Share of each cohort/ }).waitFor();
    await page.getByRole('button', { name: 'Save to dashboard' }).click();
    await saveForm.getByLabel('Widget title', { exact: true }).fill('Daily return');
    await saveForm.getByRole('button', { name: 'Save widget' }).click();
    await waitForText(saveForm.getByRole('status'), /^Saved to Overview/);

    /** The two widgets on the dashboard: 5 entered, 3 converted, 2 dropped; one cohort of 5, 40% back on day 1. */
    async function expectWidgets(): Promise<void> {
      const funnel = page.getByRole('article', { name: 'Signup funnel' });
      await waitForText(funnel.getByTestId('step-1-count'), '5');
      await waitForText(funnel.getByTestId('step-2-count'), '3');
      await waitForText(funnel.getByTestId('step-2-dropped'), '2');
      await funnel.getByText('60.0% converted from step 1 to step 2').waitFor();
      await funnel.locator('.funnel-chart .recharts-bar-rectangle').first().waitFor();
      const retention = page.getByRole('article', { name: 'Daily return' });
      const grid = retention.getByRole('table', { name: /Share of each cohort/ });
      await grid.getByTestId('cohort-size').first().waitFor();
      const sizes = await grid.getByTestId('cohort-size').allTextContents();
      expect(sizes.filter((n) => n !== '0')).toEqual(['5']);
      const row = grid.locator('tbody tr').nth(1 + sizes.indexOf('5'));
      expect((await row.locator('td.retention-grid__cell').allTextContents()).slice(0, 2)).toEqual(['0.0%0', '40.0%2']);
    }
    await page.getByRole('link', { name: 'Dashboards', exact: true }).click();
    await expectWidgets();
    await screenshot('dashboard-insights');

    // A read key sees the same widgets and numbers, and cannot edit them.
    await context.close();
    context = await newContext(browser);
    page = await context.newPage();
    const problems = collectProblems(page);
    await signIn(tenant.keys.read, '#/dashboards');
    await expectWidgets();
    expect(await page.getByRole('button', { name: 'Edit dashboard' }).count()).toBe(0);
    expect(unexpectedProblems(problems)).toEqual([]);
  });

  it('erases a person after the id is typed, shows the job until done, and the funnel no longer counts them', async () => {
    await signIn(tenant.keys.admin, `#/people?id=${encodeURIComponent(U5)}`);
    await page.getByRole('heading', { name: `Person ${U5}` }).waitFor();
    await page.getByRole('button', { name: 'Erase this person' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase this person?' });
    const confirm = dialog.getByRole('button', { name: 'Erase person' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${U5} to confirm`).fill(U5.toUpperCase());
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${U5} to confirm`).fill(U5);
    await confirm.click();

    await waitForText(page.getByTestId('erasure-status'), /^Done: 1 event erased/, 60_000);
    await page.getByText('This person has been erased').waitFor();
    await screenshot('erasure');

    // Nowhere to be found: not in the people search, not in the explorer.
    await page.getByLabel('Search people', { exact: true }).fill(U5);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(`Nobody matches “${U5}”`).waitFor();
    await page.goto(`${runtime.url}/#/explorer?user_id=${encodeURIComponent(U5)}`);
    await page.getByText('No events match these filters').waitFor();

    await openFunnel();
    await waitForText(page.getByTestId('step-1-count'), '4');
    await waitForText(page.getByTestId('step-2-dropped'), '1');
  });
});
