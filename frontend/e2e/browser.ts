// Browser helpers for the dashboard e2e tests: Debian's chromium driven by playwright-core.
// Browser downloads are blocked here, so never `playwright install`: scripts/install-chromium.sh
// puts chromium at /usr/bin/chromium.
import { existsSync } from 'node:fs';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Locator,
  type Page,
} from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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
