// Single sign-on in a real browser against a real OpenID Provider (oidc-provider on 127.0.0.1, test/oidc-issuer.ts,
// its development login and consent pages filled in the browser) and the local runtime (built SPA + API on one
// origin, real Postgres and Redis). APP_URL is the runtime's own origin, so the issuer sends the browser back to it.
// An owner configures SSO (API); a person of an allowed domain signs in with "Sign in with SSO" and lands in the
// dashboard with the default role, and the owner sees them in Members; a person of another domain lands on the
// sign-in page with the domain_not_allowed message and no session. One browser, one context per person; every wait
// is on a condition. Needs /usr/bin/chromium.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { call } from '../../test/builders';
import { as, sessionOf } from '../../test/accounts-world';
import { startTestIssuer } from '../../test/oidc-issuer';
import { hashPassword } from '../../core/passwords';
import { useKnownPortWeb, waitForText } from './browser';

const web = useKnownPortWeb('sso-web', {
  services: (origin) => startTestIssuer(`${origin}/v1/auth/sso/callback`, 1),
  stopServices: (issuer) => issuer.stop(),
  overrides: () => ({
    SSO_SECRET_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_ALLOW_LOOPBACK: 'true', // the issuer is on 127.0.0.1
  }),
  topics: false,
});
const { person } = web;
let slug = '';
/** The owner's session cookie (signed in through the API), value only. */
let ownerSession = '';

const run = randomBytes(4).toString('hex');
const OWNER = { email: `owner-${run}@corp.example`, password: 'violet tractor sings' };

const signedIn = (page: Page) => page.getByRole('button', { name: 'Sign out' }).waitFor();
/** GET /v1/me from the page (its session cookie): the status and the e-mail address. */
const me = (page: Page) =>
  page.evaluate(async () => {
    const res = await fetch('/v1/me');
    const body = (await res.json()) as { user?: { email?: string }; role?: string };
    return { status: res.status, email: body.user?.email, role: body.role };
  });

/** From the sign-in page through "Sign in with SSO" and the issuer's login and consent pages, as `login`. */
async function signInWithSso(page: Page, login: string): Promise<void> {
  await page.goto(`${web.origin}/`);
  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  await page.getByLabel('Organization').fill(slug);
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
  // The issuer's development interactions: any login, any password, then consent.
  await page.locator('input[name="login"]').fill(login);
  expect(new URL(page.url()).origin).toBe(web.services.issuer);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

beforeAll(async () => {
  const { env, origin, services: issuer } = web;
  // A tenant whose owner configures SSO: corp.example only, editors by default.
  const tenant = await env.createTenant();
  slug = tenant.slug;
  await env.adapters.accounts.createMember({
    tenantId: tenant.id,
    email: OWNER.email,
    name: null,
    passwordHash: await hashPassword(OWNER.password, 14),
    role: 'owner',
    nowMs: Date.now(),
  });
  const login = await call(origin, '/v1/auth/login', { json: OWNER });
  const session = sessionOf(login);
  ownerSession = session.cookie.slice('cs_session='.length);
  const configured = await call(origin, '/v1/sso', {
    method: 'PUT',
    headers: as(session),
    json: {
      issuer: issuer.issuer,
      client_id: issuer.clients[0]!.client_id,
      client_secret: issuer.clients[0]!.client_secret,
      allowed_domains: ['corp.example'],
      default_role: 'editor',
      enabled: true,
    },
  });
  expect([configured.status, configured.body.redirect_uri]).toEqual([200, `${origin}/v1/auth/sso/callback`]);
}, 180_000);

describe('single sign-on in the dashboard', () => {
  const email = `sam-${run}@corp.example`;

  it('signs a person of an allowed domain in through the issuer, with the default role', async () => {
    const page = await person();
    await signInWithSso(page, email);
    await signedIn(page);
    expect(new URL(page.url()).origin).toBe(web.origin);
    await waitForText(page.getByTestId('role'), 'editor');
    expect(await me(page)).toEqual({ status: 200, email, role: 'editor' });
    // An editor's navigation has no audit log (admins only).
    await page.getByRole('link', { name: 'Alerts', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Audit log', exact: true }).count()).toBe(0);
  });

  it('lists the person signed in by SSO in Members for the owner, with the default role', async () => {
    // The owner's session from the API sign-in, in a browser of their own.
    const owner = await person();
    await owner.context().addCookies([{ name: 'cs_session', value: ownerSession, url: web.origin }]);
    await owner.goto(`${web.origin}/`);
    await signedIn(owner);
    await owner.getByRole('link', { name: 'Audit log', exact: true }).waitFor();
    await owner.getByRole('link', { name: 'Members', exact: true }).click();
    await owner.getByRole('cell', { name: email, exact: true }).waitFor();
    expect(await owner.getByLabel(`Role of ${email}`).inputValue()).toBe('editor');
  });

  it('sends a person of a domain not allowed back to the sign-in page with the message, signed out', async () => {
    const page = await person();
    await signInWithSso(page, `pat-${run}@elsewhere.example`);
    await waitForText(page.getByRole('alert'), /Single sign-on failed: Your e-mail address’s domain is not allowed/);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect((await me(page)).status).toBe(401);
  });
});
