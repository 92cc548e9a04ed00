// Browser helpers for the dashboard e2e tests: Debian's chromium driven by playwright-core, and the world of the
// suites whose runtime must know its own origin (accounts, SSO).
// Browser downloads are blocked here, so never `playwright install`: scripts/install-chromium.sh
// puts chromium at /usr/bin/chromium.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Locator,
  type Page,
} from 'playwright-core';
import { createTestEnv, type TestEnv } from '../../test/harness';
import { startLocalRuntime, type LocalRuntime, type RuntimeOptions } from '../../local/runtime';
import { freePort } from '../../scripts/kafka/broker';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const REPO_ROOT = resolve(__dirname, '../..');

export interface WebDist {
  /** The folder with index.html, for WEB_DIST_DIR. */
  dir: string;
  /** Removes the folder if this run built it (a prebuilt one stays). */
  cleanup(): Promise<void>;
}

/**
 * The dashboard build the browser tests serve. E2E_WEB_DIST_DIR: a build of this checkout's SPA made for this run
 * (.ci/run sets it to frontend/dist right after its `npm run build:web`: the same production build, the API on the
 * same origin), used as it is; otherwise one is built into a temporary folder.
 */
export async function webDist(): Promise<WebDist> {
  const prebuilt = process.env.E2E_WEB_DIST_DIR;
  if (prebuilt) {
    const dir = resolve(REPO_ROOT, prebuilt);
    await readFile(join(dir, 'index.html')); // fails at once, naming the file, when the build is missing
    return { dir, cleanup: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'cs-e2e-dist-'));
  // NODE_ENV=test (set by jest) would give a development build; VITE_API_URL='' keeps the API on the same origin.
  await promisify(execFile)(
    'npx',
    ['vite', 'build', '--config', 'frontend/vite.config.mts', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: 'production', VITE_API_URL: '' }, maxBuffer: 16 * 1024 * 1024 },
  );
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} does not exist: run scripts/install-chromium.sh first`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A fresh context (own storage, cookies, cache) per test. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(20_000);
  return context;
}

export interface PageProblems {
  /** Console errors/warnings and uncaught page errors, as text. */
  messages: string[];
}

/** Collects console errors/warnings and uncaught exceptions of a page (CSP violations show up as console errors). */
export function collectProblems(page: Page): PageProblems {
  const problems: PageProblems = { messages: [] };
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.messages.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error: Error) => problems.messages.push(`pageerror: ${error.message}`));
  return problems;
}

/**
 * The page's problems but the expected ones: the 401 of GET /v1/me when the dashboard opens signed out, and the 403
 * a read key's scope check gets (GET /v1/api-keys). Browsers log both as console errors without naming the URL.
 */
export function unexpectedProblems(problems: PageProblems): string[] {
  return problems.messages.filter((m) => !/status of 40[13]\b/.test(m));
}

/** Signs in with an API key through the sign-in screen's development form, the way a person would. */
export async function signInWithKey(page: Page, origin: string, key: string, hash = ''): Promise<void> {
  await page.goto(`${origin}/${hash}`);
  const field = page.getByLabel('API key', { exact: true });
  await field.fill(key);
  await field.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Waits (polling, like Playwright's web-first assertions) until the locator's visible text, with
 * whitespace collapsed, matches;
 * fails with the last text seen. playwright-core has no `expect`, and jest's does not retry.
 */
export async function waitForText(locator: Locator, expected: string | RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  let lastError: unknown = null;
  for (;;) {
    try {
      // Whitespace-normalised: flex layouts put line breaks between inline children in innerText.
      last = (await locator.innerText({ timeout: Math.max(1, Math.min(2_000, deadline - Date.now())) }))
        .replace(/\s+/g, ' ')
        .trim();
      if (typeof expected === 'string' ? last === expected : expected.test(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen =
        last === null
          ? `no text (${lastError instanceof Error ? lastError.message.split('\n')[0] : 'not found'})`
          : JSON.stringify(last);
      throw new Error(`${locator} did not show ${String(expected)} within ${timeoutMs} ms; last saw ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** WCAG 2 contrast ratio of two CSS colours as computed styles give them ("rgb(…)" / "rgba(…)", opaque). */
export function contrastRatio(foreground: string, background: string): number {
  const luminance = (css: string) => {
    const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return (light! + 0.05) / (dark! + 0.05);
}

/** What a known-port suite has once its beforeAll ran. */
export interface KnownPortWeb<S> {
  /** `http://127.0.0.1:<port>`: the runtime's origin, and APP_URL. */
  readonly origin: string;
  readonly env: TestEnv;
  readonly runtime: LocalRuntime;
  /** What the suite runs beside the runtime (an SMTP sink, an OpenID issuer). */
  readonly services: S;
  /** A page in a browser context of its own (own cookies): one person. The contexts close in afterAll. */
  person(): Promise<Page>;
}

export interface KnownPortWebOptions<S> {
  /** Starts what runs beside the runtime, given the origin (while the SPA builds and the browser starts). */
  services(origin: string): Promise<S>;
  stopServices(services: S): Promise<void>;
  /** Configuration beyond APP_URL, WEB_DIST_DIR, PASSWORD_SCRYPT_LOG_N (14) and LOGIN_THROTTLE_PREFIX. */
  overrides(services: S): Record<string, string>;
  /** Kafka topics for the environment (default: made). */
  topics?: boolean;
  /** Runtime options beyond the web server on the known port (no consumers, no scheduler). */
  runtime?: Pick<RuntimeOptions, 'dispatch'>;
}

/**
 * The world of a browser suite whose server must know its own origin: the runtime on a port picked before the
 * environment is made, with APP_URL that origin, so the server's redirects (SSO) and mailed links lead back to it;
 * the built SPA served from it; one browser. Made in a beforeAll, ended in an afterAll (contexts, browser, runtime,
 * environment, services, build), which undoes whatever part of it was made.
 */
export function useKnownPortWeb<S>(name: string, opts: KnownPortWebOptions<S>): KnownPortWeb<S> {
  let origin: string | undefined;
  let dist: WebDist | undefined;
  let services: S | undefined;
  let browser: Browser | undefined;
  let env: TestEnv | undefined;
  let runtime: LocalRuntime | undefined;
  const contexts: BrowserContext[] = [];
  const made = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the known-port world's ${what} is used before its beforeAll made it`);
    return value;
  };
  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    await Promise.all([
      webDist().then((d) => (dist = d)),
      opts.services(origin).then((s) => (services = s)),
      launchBrowser().then((b) => (browser = b)),
    ]);
    env = await createTestEnv(
      name.replace(/-/g, '_'),
      {
        APP_URL: origin,
        WEB_DIST_DIR: dist!.dir,
        PASSWORD_SCRYPT_LOG_N: '14',
        LOGIN_THROTTLE_PREFIX: `${name}-${randomBytes(4).toString('hex')}`,
        ...opts.overrides(services!),
      },
      { topics: opts.topics },
    );
    runtime = await startLocalRuntime(env.adapters, {
      port,
      web: true,
      scheduler: false,
      consumers: false,
      ...opts.runtime,
    });
    if (runtime.url !== origin) throw new Error(`the runtime is at ${runtime.url}, not at APP_URL ${origin}`);
  }, 180_000);
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await runtime?.stop();
    await env?.cleanup();
    if (services !== undefined) await opts.stopServices(services);
    await dist?.cleanup();
  });
  return {
    get origin() {
      return made(origin, 'origin');
    },
    get env() {
      return made(env, 'environment');
    },
    get runtime() {
      return made(runtime, 'runtime');
    },
    get services() {
      return made(services, 'services');
    },
    async person() {
      const context = await newContext(made(browser, 'browser'));
      contexts.push(context);
      return context.newPage();
    },
  };
}
