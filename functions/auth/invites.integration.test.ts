// Invites and password reset end to end over HTTP (docs/api.md#invites, #password-reset), in invite-only mode, on an
// injected clock: the links arrive at the SMTP sink, work once and expire; an existing account joins only with its
// password; a reset ends every session; forgot answers the same whether the address has an account.
import { randomBytes } from 'node:crypto';
import { call, type CallResult } from '../../test/builders';
import { PASSWORD, as, debugLogsDuring, sessionOf, useAccountsWorld, type Session } from '../../test/accounts-world';
import { createLoginThrottle } from '../../adapters/login-throttle';
import type { Role } from '../../core/accounts';
import type { Adapters } from '../../adapters';
import { sendRequestedResets } from './recovery';

let clock = Date.parse('2026-06-01T12:00:00Z');
let deps: Adapters;
const world = useAccountsWorld('invites', {
  tenants: 1,
  mail: true,
  now: () => clock,
  overrides: {
    SIGNUP_MODE: 'invite-only',
    APP_URL: 'https://app.example.test/',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
  },
  adapters: (env) => {
    const t = env.config.accounts.throttle;
    return (deps = {
      ...env.adapters,
      now: () => clock,
      loginThrottle: createLoginThrottle(env.adapters.redis, t, () => clock),
      forgotThrottle: createLoginThrottle(
        env.adapters.redis,
        { ...t, keyPrefix: `${t.keyPrefix}:forgot` },
        () => clock,
      ),
    });
  },
});
const { env, tenant, url, email } = world;
/** A member of the test tenant (sign-up is closed here), signed in. */
const memberSession = world.member;
const mailsTo = world.mail.to;
/** POST /v1/auth/forgot, then the dispatcher's run that sends what it recorded (as the dispatch function would). */
async function forgotSent(address: string): Promise<CallResult> {
  const res = await call(url(), '/v1/auth/forgot', { json: { email: address } });
  await sendRequestedResets(deps);
  return res;
}
const NEW_PASSWORD = 'amber kettle hums';
const tokenOf = (link: string) => /#token=([\w-]{43})$/.exec(link)![1]!;

const invite = (s: Session, address: string, role: Role = 'viewer') =>
  call(url(), '/v1/invites', { headers: as(s), json: { email: address, role } });
const accept = (token: string, password = PASSWORD, name = 'Vi Ewer') =>
  call(url(), '/v1/auth/accept-invite', { json: { token, password, name } });
const auditActions = async (tenantId: string, target: string) =>
  (
    await env.adapters.sql<{ action: string }[]>`
      select action from audit_log where tenant_id = ${tenantId} and target = ${target} order by id`
  ).map((r) => r.action);

describe('invites', () => {
  it('e-mails a single-use link that creates the account with the role and signs in, in invite-only mode', async () => {
    const admin = await memberSession('admin');
    const address = email();
    const made = await invite(admin, address.toUpperCase());
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ email: address, role: 'viewer', emailed: true });
    expect(made.body.expires_at).toBe(new Date(clock + 7 * 86_400_000).toISOString());
    expect(made.body.invite_url).toMatch(/^https:\/\/app\.example\.test\/accept-invite#token=[\w-]{43}$/);
    // The mail was delivered before the answer: the sink has it, with the same link.
    const [mail, ...more] = mailsTo(address);
    expect(more).toEqual([]);
    expect(world.mail.text(mail!)).toContain(made.body.invite_url);
    const token = tokenOf(made.body.invite_url);
    // Only the token's hash is stored.
    const stored = await env.adapters.sql`select * from invites where id = ${made.body.id}`;
    expect(JSON.stringify(stored)).not.toContain(token);
    const listed = await call(url(), '/v1/invites', { headers: as(admin) });
    expect(listed.body.invites.map((i: { id: string }) => i.id)).toContain(made.body.id);

    const accepted = await accept(token);
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ user: { email: address, name: 'Vi Ewer' }, role: 'viewer' });
    expect(accepted.body.tenant.id).toBe(tenant.id);
    const viewer = sessionOf(accepted);
    expect((await call(url(), '/v1/me', { headers: as(viewer) })).body.role).toBe('viewer');
    // A viewer looks but does not change.
    expect((await call(url(), '/v1/projects', { headers: as(viewer) })).status).toBe(200);
    expect((await invite(viewer, email())).status).toBe(403);

    // Once only; afterwards it is no longer listed.
    const again = await accept(token);
    expect([again.status, again.body.error.code]).toEqual([400, 'invalid_invite']);
    const after = await call(url(), '/v1/invites', { headers: as(admin) });
    expect(after.body.invites.map((i: { id: string }) => i.id)).not.toContain(made.body.id);
    expect(await auditActions(tenant.id, made.body.id)).toEqual(['invite.create']);
    expect(await auditActions(tenant.id, accepted.body.user.id)).toEqual(['invite.accept']);
  });

  it('expires, can be revoked, and answers used, expired, revoked and unknown tokens alike', async () => {
    const admin = await memberSession('admin');
    const expiring = await invite(admin, email());
    const revoked = await invite(admin, email());
    const used = await invite(admin, email());
    expect((await accept(tokenOf(used.body.invite_url))).status).toBe(201);
    const del = await call(url(), `/v1/invites/${revoked.body.id}`, { method: 'DELETE', headers: as(admin) });
    expect(del.body).toEqual({ id: revoked.body.id, revoked: true });
    expect(await auditActions(tenant.id, revoked.body.id)).toEqual(['invite.create', 'invite.revoke']);
    const start = clock;
    clock += 7 * 86_400_000 - 1;
    try {
      const answers = [
        await accept(tokenOf(used.body.invite_url)),
        await accept(tokenOf(revoked.body.invite_url)),
        await accept(randomBytes(32).toString('base64url')),
        await accept('not a token'),
      ];
      clock += 1; // exactly 7 days: expired
      answers.push(await accept(tokenOf(expiring.body.invite_url)));
      for (const a of answers)
        expect({ status: a.status, error: a.body.error }).toEqual({ status: 400, error: answers[0]!.body.error });
      expect(answers[0]!.body.error.code).toBe('invalid_invite');
    } finally {
      clock = start;
    }
    // Until then it worked.
    expect((await accept(tokenOf(expiring.body.invite_url))).status).toBe(201);
  });

  it('follows the members rules: only an owner invites an owner; a member already in is a 409', async () => {
    const admin = await memberSession('admin');
    const owner = await memberSession('owner');
    const refused = await invite(admin, email(), 'owner');
    expect([refused.status, refused.body.error.message]).toEqual([403, 'Only an owner may invite an owner.']);
    expect(
      (await call(url(), '/v1/invites', { key: tenant.keys.admin, json: { email: email(), role: 'owner' } })).status,
    ).toBe(403);
    const asOwner = await invite(owner, email(), 'owner');
    expect(asOwner.status).toBe(201);
    // An admin may not revoke an owner's invite either.
    expect((await call(url(), `/v1/invites/${asOwner.body.id}`, { method: 'DELETE', headers: as(admin) })).status).toBe(
      403,
    );
    const member = await invite(admin, admin.email);
    expect([member.status, member.body.error.code]).toEqual([409, 'already_member']);
    const bad = await invite(admin, 'nobody', 'boss' as Role);
    expect(bad.status).toBe(400);
  });

  it('adds an existing account only when it proves its password, and never changes that password', async () => {
    const other = await env.adapters.tenants.createTenant(`other-${randomBytes(3).toString('hex')}`, 'Other');
    const elsewhere = await memberSession('editor', other.id);
    const admin = await memberSession('admin');
    const made = await invite(admin, elsewhere.email, 'editor');
    const token = tokenOf(made.body.invite_url);
    const wrong = await accept(token, 'some other password!');
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'unauthorized']);
    const joined = await accept(token, PASSWORD);
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ user: { id: elsewhere.id }, role: 'editor', tenant: { id: tenant.id } });
    const members = await call(url(), '/v1/members', { headers: as(admin) });
    expect(members.body.members.find((m: { id: string }) => m.id === elsewhere.id)?.role).toBe('editor');
    // Still a member of the other tenant, with the same password; the old session lives on.
    expect((await call(url(), '/v1/me', { headers: as(elsewhere) })).body.tenant.id).toBe(other.id);
    expect((await call(url(), '/v1/auth/login', { json: { email: elsewhere.email, password: PASSWORD } })).status).toBe(
      200,
    );
  });
});

it('lets only one of two concurrent uses of a link succeed (invite and reset)', async () => {
  const admin = await memberSession('admin');
  const token = tokenOf((await invite(admin, email())).body.invite_url);
  const accepts = await Promise.all([accept(token), accept(token)]);
  expect(accepts.map((r) => r.status).sort()).toEqual([201, 400]);
  const user = await memberSession('viewer');
  await forgotSent(user.email);
  const resetToken = world.mail.token(user.email);
  const resets = await Promise.all(
    ['first passphrase here', 'second passphrase here'].map((password) =>
      call(url(), '/v1/auth/reset', { json: { token: resetToken, password } }),
    ),
  );
  expect(resets.map((r) => r.status).sort()).toEqual([200, 400]);
});

describe('password reset', () => {
  const forgot = forgotSent;
  const reset = (token: string, password = NEW_PASSWORD) =>
    call(url(), '/v1/auth/reset', { json: { token, password } });
  /** The token of the newest reset link mailed to the address. */
  const resetToken = (address: string) => world.mail.token(address, 'https://app.example.test/reset-password');

  it('answers the same whether the address has an account, and mails only an existing one', async () => {
    const user = await memberSession('viewer');
    const unknown = email();
    const a = await forgot(user.email);
    const b = await forgot(unknown);
    expect({ status: a.status, body: a.body }).toEqual({ status: b.status, body: b.body });
    expect(a.status).toBe(202);
    expect(mailsTo(user.email)).toHaveLength(1);
    expect(mailsTo(unknown)).toEqual([]);
    expect(await auditActions(tenant.id, user.id)).toContain('user.password_reset_request');
  });

  it('sets the password once, ends every session (a copied cookie stops working), and expires', async () => {
    const user = await memberSession('editor');
    const second = await call(url(), '/v1/auth/login', { json: { email: user.email, password: PASSWORD } });
    const copied = sessionOf(second);
    await forgot(user.email);
    const first = resetToken(user.email);
    await forgot(user.email); // a newer link: the first stops working
    const token = resetToken(user.email);
    expect((await reset(first)).body.error.code).toBe('invalid_reset');
    expect((await reset(token, 'short')).body.error.code).toBe('weak_password');
    const done = await reset(token);
    expect([done.status, done.body.password_reset]).toEqual([200, true]);
    for (const s of [user, copied]) expect((await call(url(), '/v1/me', { headers: as(s) })).status).toBe(401);
    expect((await reset(token, 'yet another passphrase')).body.error.code).toBe('invalid_reset');
    expect((await call(url(), '/v1/auth/login', { json: { email: user.email, password: PASSWORD } })).status).toBe(401);
    expect((await call(url(), '/v1/auth/login', { json: { email: user.email, password: NEW_PASSWORD } })).status).toBe(
      200,
    );
    expect(await auditActions(tenant.id, user.id)).toContain('user.password_reset');

    // A link is good for PASSWORD_RESET_TTL (1 h) only.
    await forgot(user.email);
    const late = resetToken(user.email);
    const start = clock;
    clock += 3_600_000;
    try {
      expect((await reset(late, 'a fresh passphrase')).body.error.code).toBe('invalid_reset');
    } finally {
      clock = start;
    }
  });

  it('throttles requests per address (known or not), apart from failed sign-ins', async () => {
    const user = await memberSession('viewer');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await forgot(user.email)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const unknown = email();
    for (let i = 0; i < 3; i++) await forgot(unknown);
    const limited = await forgot(unknown);
    expect([limited.status, Number(limited.headers.get('retry-after')) > 0]).toEqual([429, true]);
    expect(mailsTo(user.email)).toHaveLength(3);
    // Sign-in is not locked by it.
    expect((await call(url(), '/v1/auth/login', { json: { email: user.email, password: PASSWORD } })).status).toBe(200);
  });
});

it('never writes an invite or reset token, a link or a password to the logs, at DEBUG and when the mailer fails', async () => {
  const secrets: string[] = [];
  const logs = await debugLogsDuring(async () => {
    const admin = await memberSession('admin');
    const made = await invite(admin, email());
    secrets.push(tokenOf(made.body.invite_url));
    await accept(secrets[0]!, NEW_PASSWORD);
    const user = await memberSession('viewer');
    await forgotSent(user.email);
    secrets.push(world.mail.token(user.email));
    await call(url(), '/v1/auth/reset', { json: { token: secrets[1], password: 'a fresh passphrase' } });
    // The mailer failing (its log line names the error only).
    await world.mail.sink.stop();
    const unsent = await invite(admin, email());
    expect(unsent.body.emailed).toBe(false);
    secrets.push(tokenOf(unsent.body.invite_url));
  });
  expect(logs).toContain('account e-mail not sent');
  for (const secret of [...secrets, NEW_PASSWORD, 'a fresh passphrase', PASSWORD]) expect(logs).not.toContain(secret);
});
