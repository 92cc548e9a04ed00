// The accounts routes of the query function (docs/api.md#accounts); spread into QUERY_ROUTES.
import type { Route } from '../http/router';
import { changePassword, login, logout, me, signup, AUTH_BODY_LIMIT } from './accounts';
import { deleteMember, getMembers, patchMember } from './members';
import { acceptInvite, deleteInvite, getInvites, postInvite } from './invites';
import { forgot, reset } from './recovery';
import { resendVerification, verifyEmail } from './verification';
import { signInOptions } from './options';
import { deleteSso, getSso, putSso, ssoCallback, ssoStart, SSO_BODY_LIMIT } from './sso';
import { json } from '../http/middleware';

export const AUTH_ROUTES = {
  'POST /v1/auth/signup': { auth: 'public', handle: signup },
  'POST /v1/auth/login': { auth: 'public', handle: login },
  'POST /v1/auth/logout': { auth: 'session', handle: logout },
  'POST /v1/auth/password': { auth: 'session', handle: changePassword },
  'POST /v1/auth/accept-invite': { auth: 'public', handle: acceptInvite },
  'POST /v1/auth/verify-email': { auth: 'public', handle: verifyEmail },
  'POST /v1/auth/verify-email/resend': { auth: 'session', handle: resendVerification },
  'POST /v1/auth/forgot': { auth: 'public', handle: forgot },
  'POST /v1/auth/reset': { auth: 'public', handle: reset },
  'GET /v1/auth/options': { auth: 'public', handle: async (deps) => json(200, signInOptions(deps.config)) },
  'GET /v1/me': { auth: 'session', handle: me },
  'GET /v1/members': { auth: 'admin', handle: async (deps, r) => json(200, await getMembers(deps, r.principal)) },
  'PATCH /v1/members/{id}': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await patchMember(deps, r.principal, r.param('id'), r.body(AUTH_BODY_LIMIT))),
  },
  'DELETE /v1/members/{id}': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await deleteMember(deps, r.principal, r.param('id'))),
  },
  'GET /v1/invites': { auth: 'admin', handle: async (deps, r) => json(200, await getInvites(deps, r.principal)) },
  'POST /v1/invites': {
    auth: 'admin',
    handle: async (deps, r) => json(201, await postInvite(deps, r.principal, r.body(AUTH_BODY_LIMIT))),
  },
  'DELETE /v1/invites/{id}': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await deleteInvite(deps, r.principal, r.param('id'))),
  },
  // Single sign-on (docs/api.md#single-sign-on-sso).
  'GET /v1/sso': { auth: 'admin', handle: async (deps, r) => json(200, await getSso(deps, r.principal)) },
  'PUT /v1/sso': {
    auth: 'admin',
    handle: async (deps, r) => json(200, await putSso(deps, r.principal, r.body(SSO_BODY_LIMIT))),
  },
  'DELETE /v1/sso': { auth: 'admin', handle: async (deps, r) => json(200, await deleteSso(deps, r.principal)) },
  'GET /v1/auth/sso/start': { auth: 'public', handle: ssoStart },
  'GET /v1/auth/sso/callback': { auth: 'public', handle: ssoCallback },
} as const satisfies Record<string, Route>;
