// The accounts routes (docs/api.md#accounts): sign-up, sign-in, sign-out, the signed-in person, password change and
// reset, invites and members.
import type { ApiClient } from './client';
import { expectArray, expectObject, expectString, optionalString, ShapeError } from './shape';

export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** The answer of sign-up, login, password change, accepting an invite and GET /v1/me. */
export interface AccountSession {
  user: { id: string; email: string; name: string | null; email_verified: boolean };
  role: Role;
  tenant: { id: string; slug: string; name: string };
  csrf_token: string;
}

export interface SignInOptions {
  signup: 'open' | 'invite-only';
  key_signin: boolean;
  sso: boolean;
}

export interface Member {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  created_at: string;
}

export interface Invite {
  id: string;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
}

export interface CreatedInvite extends Invite {
  invite_url: string;
  emailed: boolean;
}

export function parseRole(value: unknown, what: string): Role {
  const role = expectString(value, what);
  if (!(ROLES as readonly string[]).includes(role)) throw new ShapeError(`${what} is not a role`);
  return role as Role;
}

export function parseAccountSession(body: unknown): AccountSession {
  const o = expectObject(body, 'session');
  const user = expectObject(o.user, 'session.user');
  const tenant = expectObject(o.tenant, 'session.tenant');
  return {
    user: {
      id: expectString(user.id, 'user.id'),
      email: expectString(user.email, 'user.email'),
      name: optionalString(user.name, 'user.name'),
      // Absent only from a server older than e-mail verification, where every address counted as verified.
      email_verified: user.email_verified !== false,
    },
    role: parseRole(o.role, 'session.role'),
    tenant: {
      id: expectString(tenant.id, 'tenant.id'),
      slug: expectString(tenant.slug, 'tenant.slug'),
      name: expectString(tenant.name, 'tenant.name'),
    },
    csrf_token: expectString(o.csrf_token, 'session.csrf_token'),
  };
}

function parseOptions(body: unknown): SignInOptions {
  const o = expectObject(body, 'options');
  return {
    signup: o.signup === 'open' ? 'open' : 'invite-only',
    key_signin: o.key_signin === true,
    sso: o.sso === true,
  };
}

function parseMember(value: unknown, what: string): Member {
  const o = expectObject(value, what);
  return {
    id: expectString(o.id, `${what}.id`),
    email: expectString(o.email, `${what}.email`),
    name: optionalString(o.name, `${what}.name`),
    role: parseRole(o.role, `${what}.role`),
    created_at: expectString(o.created_at, `${what}.created_at`),
  };
}

function parseInvite(value: unknown, what: string): Invite {
  const o = expectObject(value, what);
  return {
    id: expectString(o.id, `${what}.id`),
    email: expectString(o.email, `${what}.email`),
    role: parseRole(o.role, `${what}.role`),
    created_at: expectString(o.created_at, `${what}.created_at`),
    expires_at: expectString(o.expires_at, `${what}.expires_at`),
  };
}

const ignore = () => undefined;

export const accountsApi = {
  options: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/auth/options', { signal, parse: parseOptions }),
  me: (c: ApiClient, signal?: AbortSignal) => c.get('/v1/me', { signal, parse: parseAccountSession }),
  signup: (c: ApiClient, body: { email: string; password: string; organization: string; name?: string }) =>
    c.send('POST', '/v1/auth/signup', { body, parse: parseAccountSession }),
  login: (c: ApiClient, body: { email: string; password: string }) =>
    c.send('POST', '/v1/auth/login', { body, parse: parseAccountSession }),
  logout: (c: ApiClient) => c.send('POST', '/v1/auth/logout', { parse: ignore }),
  changePassword: (c: ApiClient, body: { current_password: string; new_password: string }) =>
    c.send('POST', '/v1/auth/password', { body, parse: parseAccountSession }),
  forgot: (c: ApiClient, email: string) => c.send('POST', '/v1/auth/forgot', { body: { email }, parse: ignore }),
  reset: (c: ApiClient, body: { token: string; password: string }) =>
    c.send('POST', '/v1/auth/reset', { body, parse: ignore }),
  acceptInvite: (c: ApiClient, body: { token: string; password: string; name?: string }) =>
    c.send('POST', '/v1/auth/accept-invite', { body, parse: parseAccountSession }),
  verifyEmail: (c: ApiClient, token: string) =>
    c.send('POST', '/v1/auth/verify-email', { body: { token }, parse: ignore }),
  resendVerification: (c: ApiClient) => c.send('POST', '/v1/auth/verify-email/resend', { parse: ignore }),

  members: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/members', {
      signal,
      parse: (b) =>
        expectArray(expectObject(b, 'response').members, 'members').map((m, i) => parseMember(m, `members[${i}]`)),
    }),
  changeRole: (c: ApiClient, id: string, role: Role) =>
    c.send('PATCH', `/v1/members/${encodeURIComponent(id)}`, {
      body: { role },
      parse: (b) => parseMember(b, 'member'),
    }),
  removeMember: (c: ApiClient, id: string) =>
    c.send('DELETE', `/v1/members/${encodeURIComponent(id)}`, { parse: ignore }),
  invites: (c: ApiClient, signal?: AbortSignal) =>
    c.get('/v1/invites', {
      signal,
      parse: (b) =>
        expectArray(expectObject(b, 'response').invites, 'invites').map((v, i) => parseInvite(v, `invites[${i}]`)),
    }),
  createInvite: (c: ApiClient, body: { email: string; role: Role }) =>
    c.send('POST', '/v1/invites', {
      body,
      parse: (b): CreatedInvite => {
        const o = expectObject(b, 'invite');
        return {
          ...parseInvite(o, 'invite'),
          invite_url: expectString(o.invite_url, 'invite.invite_url'),
          emailed: o.emailed === true,
        };
      },
    }),
  revokeInvite: (c: ApiClient, id: string) =>
    c.send('DELETE', `/v1/invites/${encodeURIComponent(id)}`, { parse: ignore }),
};
