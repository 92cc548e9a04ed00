// People's accounts in a real browser against the local runtime (built SPA + API on one origin, real Postgres, Redis
// and the SMTP sink): sign-up lands in the app; the e-mail confirmation banner until the mailed link is confirmed (once); sign-out; a wrong password is refused with a message; an admin
// invites, the invitee accepts in a fresh browser and appears with the role; a viewer sees no edit buttons; a role
// change shows after a reload; removal signs the member out mid-session with a notice; forgot → the e-mailed reset
// link → sign in with the new password; a password change; SSO's error fragment and start link.
// One browser, one context per person; every wait is on a condition. Needs /usr/bin/chromium. Screenshots go to
// /tmp/cs-screens/.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { eventually } from '../../test/harness';
import { mailText } from '../../test/accounts-world';
import { startSmtpSink } from '../../local/smtp-sink';
import { useKnownPortWeb, waitForText } from './browser';

const SCREENS = '/tmp/cs-screens';
beforeAll(async () => {
  await mkdir(SCREENS, { recursive: true });
});
const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
// The dispatcher sends the reset mails (POST /v1/auth/forgot only records the request).
const web = useKnownPortWeb('accounts-web', {
  services: () => startSmtpSink({ port: 0, dir: null }),
  stopServices: (smtp) => smtp.stop(),
  overrides: (smtp) => ({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` }),
  runtime: { dispatch: true },
});
const { person } = web;

const run = randomBytes(4).toString('hex');
const OWNER = {
  email: `owner-${run}@example.com`,
  password: 'violet tractor sings',
  organization: `Acme ${run}`,
};
const INVITEE = { email: `vi-${run}@example.com`, password: 'amber kettle hums', name: 'Vi Ewer' };
const RESET_PASSWORD = 'copper lantern glows';
const CHANGED_PASSWORD = 'silver meadow drifts';

/** An e-mailed link opened on this run's origin (APP_URL, the runtime's origin). */
const onRuntime = (link: string) => {
  const u = new URL(link);
  return `${web.origin}${u.pathname}${u.hash}`;
};

/** The link of the latest mail to `to` whose path is `path` (quoted-printable undone). */
async function mailedLink(to: string, path: string): Promise<string> {
  return eventually(async () => {
    const mails = web.services.received.filter((m) => m.to.includes(to));
    const last = mails.at(-1);
    const text = last ? mailText(last) : '';
    return new RegExp(`https?://[^\\s"<>]+${path}#token=[\\w-]+`).exec(text)?.[0];
  }, 10_000);
}

const signedIn = (page: Page) => page.getByRole('button', { name: 'Sign out' }).waitFor();
const role = (page: Page) => page.getByTestId('role');

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('accounts in the dashboard', () => {
  let owner: Page;
  let invitee: Page;

  it('signs up (a weak password is refused with the reason) and lands in the app as owner', async () => {
    owner = await person();
    await owner.goto(`${web.origin}/`);
    await owner.getByRole('link', { name: 'Create an account' }).click();
    await owner.getByLabel('E-mail address').fill(OWNER.email);
    await owner.getByLabel('Password', { exact: true }).fill('short');
    await owner.getByLabel('Organization').fill(OWNER.organization);
    await owner.getByRole('button', { name: 'Create account' }).click();
    await waitForText(owner.getByRole('alert'), 'This password is too weak: must be at least 10 characters.');

    await owner.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await owner.getByRole('button', { name: 'Create account' }).click();
    await signedIn(owner);
    await waitForText(role(owner), 'owner');
    await owner.getByRole('button', { name: 'Edit dashboard' }).waitFor();
    expect(new URL(owner.url()).hash).toBe('#/dashboards');
    // The session is a cookie the page cannot read, and nothing is kept in storage.
    expect(await owner.evaluate(() => [document.cookie, sessionStorage.length, localStorage.length])).toEqual([
      '',
      0,
      0,
    ]);
    // A reload asks GET /v1/me: still signed in.
    await owner.reload();
    await waitForText(role(owner), 'owner');
  });

  it('asks to confirm the address until the e-mailed link is opened and confirmed', async () => {
    await waitForText(owner.getByTestId('verify-email-banner'), /cannot\s+invite people/);
    await owner.goto(onRuntime(await mailedLink(OWNER.email, '/verify-email')));
    await owner.getByRole('button', { name: 'Confirm my e-mail address' }).click();
    await owner.getByRole('heading', { name: 'E-mail address confirmed' }).waitFor();
    await owner.getByRole('button', { name: 'Continue to the dashboard' }).click();
    await signedIn(owner);
    expect(await owner.getByTestId('verify-email-banner').count()).toBe(0);
    // The link works once.
    await owner.goto(onRuntime(await mailedLink(OWNER.email, '/verify-email')));
    await owner.getByRole('button', { name: 'Confirm my e-mail address' }).click();
    await waitForText(owner.getByRole('alert'), /not valid: it was used/);
    await owner.goto(`${web.origin}/#/dashboards`);
    await signedIn(owner);
  });

  it('signs out; a taken address and a wrong password get their messages; the right password signs in', async () => {
    await owner.getByRole('button', { name: 'Sign out' }).click();
    await owner.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();

    await owner.getByRole('link', { name: 'Create an account' }).click();
    await owner.getByLabel('E-mail address').fill(OWNER.email);
    await owner.getByLabel('Password', { exact: true }).fill('another fine passphrase');
    await owner.getByLabel('Organization').fill('Elsewhere');
    await owner.getByRole('button', { name: 'Create account' }).click();
    await waitForText(owner.getByRole('alert'), /exists already/);
    await owner.getByRole('link', { name: 'Back to sign-in' }).click();

    await signIn(owner, OWNER.email, 'not the password at all');
    await waitForText(owner.getByRole('alert'), 'The e-mail address or the password is wrong.');
    await screenshot(owner, 'accounts-sign-in');
    await signIn(owner, OWNER.email, OWNER.password);
    await signedIn(owner);
    await waitForText(role(owner), 'owner');
  });

  it('an owner invites; the invitee accepts in a fresh browser and sees no edit buttons as viewer', async () => {
    await owner.getByRole('link', { name: 'Members', exact: true }).click();
    await owner.getByRole('heading', { name: 'Members', exact: true }).waitFor();
    // An owner may hand out every role, owner included.
    expect(await owner.getByLabel('Role', { exact: true }).locator('option').allTextContents()).toEqual([
      'owner',
      'admin',
      'editor',
      'viewer',
    ]);
    await owner.getByLabel('E-mail address to invite').fill(INVITEE.email);
    await owner.getByLabel('Role', { exact: true }).selectOption('viewer');
    await owner.getByRole('button', { name: 'Send invite' }).click();
    const link = await owner.getByLabel('Invite link').inputValue();
    expect(link).toMatch(/\/accept-invite#token=[\w-]{43}$/);
    expect(await mailedLink(INVITEE.email, '/accept-invite')).toBe(link);
    await owner.getByRole('cell', { name: INVITEE.email, exact: true }).waitFor();
    await screenshot(owner, 'accounts-members');

    invitee = await person();
    await invitee.goto(onRuntime(link));
    await invitee.getByRole('heading', { name: 'Join your team' }).waitFor();
    await invitee.getByLabel('Your name (optional)').fill(INVITEE.name);
    await invitee.getByLabel('Password', { exact: true }).fill(INVITEE.password);
    await screenshot(invitee, 'accounts-accept-invite');
    await invitee.getByRole('button', { name: 'Accept invite' }).click();
    await signedIn(invitee);
    await waitForText(role(invitee), 'viewer');
    expect(new URL(invitee.url()).pathname).toBe('/');

    // A viewer looks: no edit or create buttons, no keys, settings or members.
    await invitee.getByLabel('Interval').waitFor();
    expect(await invitee.getByRole('button', { name: 'Edit dashboard' }).count()).toBe(0);
    expect(await invitee.getByRole('button', { name: 'New dashboard' }).count()).toBe(0);
    for (const link of ['Members', 'Projects & keys'])
      expect(await invitee.getByRole('link', { name: link, exact: true }).count()).toBe(0);
    await invitee.getByRole('link', { name: 'Alerts', exact: true }).click();
    await invitee.getByRole('heading', { name: 'Alerts', exact: true }).waitFor();
    await invitee.getByText('An editor can create rules.').waitFor();
    expect(await invitee.getByRole('button', { name: 'New alert rule' }).count()).toBe(0);
  });

  it('lists the new member with the role; the owner makes them editor, which they see after a reload', async () => {
    await owner.reload();
    const select = owner.getByLabel(`Role of ${INVITEE.email}`);
    await waitForText(owner.getByRole('row').filter({ hasText: INVITEE.email }), new RegExp(INVITEE.name));
    expect(await select.inputValue()).toBe('viewer');
    // The accepted invite is no longer open.
    await owner.getByText('No open invites').waitFor();

    await select.selectOption('editor');
    await eventually(async () => ((await select.inputValue()) === 'editor' ? true : undefined), 10_000);
    await owner.reload();
    expect(await owner.getByLabel(`Role of ${INVITEE.email}`).inputValue()).toBe('editor');

    await invitee.reload();
    await waitForText(role(invitee), 'editor');
    await invitee.getByRole('button', { name: 'New alert rule' }).waitFor();
    expect(await invitee.getByRole('link', { name: 'Members', exact: true }).count()).toBe(0);
  });

  it('revokes an open invite; removing a member signs them out mid-session with a notice', async () => {
    const other = `other-${run}@example.com`;
    await owner.getByLabel('E-mail address to invite').fill(other);
    await owner.getByRole('button', { name: 'Send invite' }).click();
    await owner.getByRole('button', { name: `Revoke the invite of ${other}` }).click();
    await owner.getByText('No open invites').waitFor();

    await owner.getByRole('button', { name: `Remove ${INVITEE.email}` }).click();
    await owner.getByRole('button', { name: `Confirm removal of ${INVITEE.email}` }).click();
    await eventually(
      async () => ((await owner.getByRole('cell', { name: INVITEE.email }).count()) === 0 ? true : undefined),
      10_000,
    );
    // The removed member's next request (the live status poll) is a 401: back to sign-in, saying why.
    await waitForText(invitee.getByRole('status'), /Your session has ended/);
    await invitee.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  });

  it('forgot → the e-mailed reset link → signs in with the new password, then changes it on the account screen', async () => {
    const guest = await person();
    await guest.goto(`${web.origin}/`);
    await guest.getByRole('link', { name: 'Forgot your password?' }).click();
    await guest.getByLabel('E-mail address').fill(OWNER.email);
    await guest.getByRole('button', { name: 'Send reset link' }).click();
    await waitForText(guest.getByRole('status'), /a link to reset its password is on its way/);

    await guest.goto(onRuntime(await mailedLink(OWNER.email, '/reset-password')));
    await guest.getByLabel('New password', { exact: true }).fill(RESET_PASSWORD);
    await guest.getByRole('button', { name: 'Set new password' }).click();
    await waitForText(guest.getByRole('status'), /Your password is changed/);
    await guest.getByRole('link', { name: 'Sign in' }).click();
    await signIn(guest, OWNER.email, OWNER.password);
    await waitForText(guest.getByRole('alert'), 'The e-mail address or the password is wrong.');
    await signIn(guest, OWNER.email, RESET_PASSWORD);
    await signedIn(guest);

    await guest.getByRole('link', { name: 'Account', exact: true }).click();
    await guest.getByLabel('Current password').fill('not the password at all');
    await guest.getByLabel('New password', { exact: true }).fill(CHANGED_PASSWORD);
    await guest.getByRole('button', { name: 'Change password' }).click();
    await waitForText(guest.getByRole('alert'), 'The current password is wrong.');
    await guest.getByLabel('Current password').fill(RESET_PASSWORD);
    await guest.getByRole('button', { name: 'Change password' }).click();
    await guest.getByText('Your password is changed; your other sessions are signed out.').waitFor();
    // The new session's CSRF token is in use: signing out (a POST) works, then the new password signs in.
    await guest.getByRole('button', { name: 'Sign out' }).click();
    await signIn(guest, OWNER.email, CHANGED_PASSWORD);
    await signedIn(guest);
    await waitForText(role(guest), 'owner');
  });

  it('a password change keeps the person signed in when a request sent with the old cookie comes back 401', async () => {
    // The server ends the old cookie when it changes the password, so a status poll that carried it answers 401.
    // That race is forced here both ways, with the server's answer to such a poll: (a) the 401 arrives while the
    // change is still pending; (b) a poll sent before the change is answered after the new session arrived.
    // Neither may sign the person out; the poll is asked again with the new cookie.
    const page = await person();
    await page.goto(`${web.origin}/`);
    await signIn(page, OWNER.email, CHANGED_PASSWORD);
    await signedIn(page);
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    const sessionEnded = {
      status: 401,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unauthorized', message: 'The session has ended.' } }),
    };
    const polls: Route[] = [];
    const stillSignedIn = async () => {
      await page.unroute('**/v1/status');
      const fresh = page.waitForResponse((res) => res.url().endsWith('/v1/status') && res.status() === 200);
      // Polls still held were cancelled by the new ask, or go through now.
      for (const held of polls.splice(0)) await held.fallback().catch(() => undefined);
      await fresh;
      await signedIn(page);
      await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
      expect(await page.getByText(/Your session has ended/).count()).toBe(0);
    };
    const changePassword = async (from: string, to: string) => {
      await page.getByLabel('Current password').fill(from);
      await page.getByLabel('New password', { exact: true }).fill(to);
      await page.getByRole('button', { name: 'Change password' }).click();
    };
    const changed = () => page.getByText('Your password is changed; your other sessions are signed out.').waitFor();

    // (a) The password POST held until the poll's 401 has arrived.
    await page.route('**/v1/status', (r) => void polls.push(r));
    let releaseChange!: () => void;
    const changeHeld = new Promise<void>((resolve) => (releaseChange = resolve));
    await page.route('**/v1/auth/password', async (r) => {
      await changeHeld;
      await r.continue();
    });
    const pendingPoll = await eventually(async () => polls.shift(), 15_000);
    await changePassword(CHANGED_PASSWORD, RESET_PASSWORD);
    await page.getByRole('button', { name: 'Changing…' }).waitFor();
    const refused = page.waitForResponse((res) => res.url().endsWith('/v1/status') && res.status() === 401);
    await pendingPoll.fulfill(sessionEnded);
    await refused;
    releaseChange();
    await changed();
    await page.unroute('**/v1/auth/password');
    await stillSignedIn();

    // (b) A poll sent before the change, answered 401 after the new session arrived.
    await page.route('**/v1/status', (r) => void polls.push(r));
    const earlyPoll = await eventually(async () => polls.shift(), 15_000);
    await changePassword(RESET_PASSWORD, CHANGED_PASSWORD);
    await changed();
    await earlyPoll.fulfill(sessionEnded);
    await stillSignedIn();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, OWNER.email, CHANGED_PASSWORD);
    await signedIn(page);
  });

  it('shows an SSO error from the fragment, and "Sign in with SSO" goes through the start route of the organization', async () => {
    const page = await person();
    // Where the server sends a failed sign-in: /sign-in (served the app) with the code in the fragment.
    await page.goto(`${web.origin}/sign-in#sso_error=domain_not_allowed`);
    await waitForText(page.getByRole('alert'), /Single sign-on failed: Your e-mail address’s domain is not allowed/);
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.getByLabel('Organization').fill('Acme-Inc');
    const [request] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/auth/sso/start'),
      page.getByRole('button', { name: 'Continue with SSO' }).click(),
    ]);
    expect(new URL(request.url()).searchParams.get('organization')).toBe('acme-inc');
    // No such organization has SSO: the start route sends the browser back with the code, and the page says so.
    await waitForText(page.getByRole('alert'), /Single sign-on is not set up/);
  });

  it('the audit log lists the earlier steps, filters by action, and opens an entry to show before and after', async () => {
    // The password change above signed this page's session out: sign in again with the new password.
    await owner.goto(`${web.origin}/`);
    await signIn(owner, OWNER.email, CHANGED_PASSWORD);
    await signedIn(owner);
    await owner.getByRole('link', { name: 'Audit log', exact: true }).click();
    await owner.getByRole('heading', { name: 'Audit log', exact: true }).waitFor();
    const actions = owner.getByRole('table', { name: 'Audit log entries, newest first' }).locator('td.mono');
    for (const action of ['invite.create', 'invite.accept', 'member.role_change', 'member.remove', 'user.signup'])
      await actions.getByText(action, { exact: true }).first().waitFor();

    await owner.getByLabel('Action', { exact: true }).selectOption('member.');
    await waitForText(owner.getByRole('status').filter({ hasText: 'Showing' }), 'Showing 2 entries');
    const row = owner.getByRole('row').filter({ hasText: 'member.role_change' });
    await row.getByRole('button').click();
    const changed = owner.getByRole('table', { name: 'What member.role_change changed' });
    // Only the role changed (the e-mail address, equal before and after, is left out).
    await waitForText(changed.locator('tbody'), 'role viewer editor');
    expect(await owner.getByRole('row').filter({ hasText: 'invite.create' }).count()).toBe(0);
    expect(new URL(owner.url()).hash).toContain('action=member.');
  });
});
