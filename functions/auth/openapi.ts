// The accounts routes in the OpenAPI document (docs/api.md#accounts); spread into OPENAPI.paths. Bodies from the zod
// schemas the handlers validate with.
import { z } from 'zod';
import { loginSchema, passwordChangeSchema, signupSchema } from './accounts';
import { updateMemberSchema } from './members';
import { acceptInviteSchema, createInviteSchema } from './invites';
import { forgotSchema, resetSchema } from './recovery';
import { verifyEmailSchema } from './verification';
import { ssoConfigSchema } from './sso';
import { SSO_ERRORS } from '../../core/sso';

function jsonBody(schema: z.ZodType) {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return { required: true, content: { 'application/json': { schema: jsonSchema } } };
}
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );

/** A session cookie, never a key; with X-CSRF-Token on POST. */
const SESSION_ONLY = [{ sessionCookie: [] }];
const SESSION_ANSWER =
  '{user: {id, email, name, email_verified}, role: owner|admin|editor|viewer, tenant: {id, slug, name}, csrf_token, expires_at, idle_expires_at}';
const SETS_COOKIE =
  'Set-Cookie: cs_session=<opaque id>; Path=/; HttpOnly; SameSite=Lax[; Secure]; Max-Age=<absolute lifetime>.';

export const SESSION_COOKIE_SCHEME = {
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'cs_session',
    description:
      'A signed-in person (POST /v1/auth/login). Every request but GET/HEAD/OPTIONS also needs X-CSRF-Token: <csrf_token>, else 403.',
  },
} as const;

export const ACCOUNTS_PATHS = {
  '/v1/auth/signup': {
    post: {
      summary: 'Create an organization (a tenant with its first project "default") and its owner, and sign in',
      description: `Only when SIGNUP_MODE=open (403 signup_closed otherwise). ${SETS_COOKIE} Passwords: at least 10 characters, not one of the most common. A link to verify the address is e-mailed (verification_emailed: false when the mailer failed); see POST /v1/auth/verify-email.`,
      security: [],
      requestBody: jsonBody(signupSchema),
      responses: {
        '201': { description: `${SESSION_ANSWER}, project {id, slug} and verification_emailed` },
        ...errors(400, 403, 409),
      },
    },
  },
  '/v1/auth/login': {
    post: {
      summary: 'Sign in with e-mail and password: a new session (the id changes at every sign-in)',
      description: `${SETS_COOKIE} A wrong password and an unknown address get the same 401. Repeated failures per account or per address: 429 with Retry-After.`,
      security: [],
      requestBody: jsonBody(loginSchema),
      responses: { '200': { description: SESSION_ANSWER }, ...errors(400, 401, 429) },
    },
  },
  '/v1/auth/logout': {
    post: {
      summary: 'Sign out: the session ends at once and the cookie is cleared',
      security: SESSION_ONLY,
      responses: { '200': { description: '{signed_out: true}' }, ...errors(401, 403) },
    },
  },
  '/v1/auth/password': {
    post: {
      summary: "Change the signed-in person's password: every session of theirs ends, this request gets a new one",
      security: SESSION_ONLY,
      requestBody: jsonBody(passwordChangeSchema),
      responses: { '200': { description: SESSION_ANSWER }, ...errors(400, 401, 403, 429) },
    },
  },
  '/v1/members': {
    get: {
      summary: 'Members of the tenant: {members: [{id, email, name, role, created_at}]} (admin role or admin key)',
      responses: { '200': { description: 'Members' }, ...errors(401, 403) },
    },
  },
  '/v1/members/{id}': {
    patch: {
      summary: "Change a member's role (admin role or admin key; only an owner makes, changes or removes an owner)",
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      requestBody: jsonBody(updateMemberSchema),
      responses: {
        '200': { description: 'The member' },
        ...errors(400, 401, 403, 404),
        '409': {
          description: 'last_owner: the tenant would have no owner',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    delete: {
      summary: "Remove a member from the tenant; their sessions in it end at once (the user's account stays)",
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: {
        '200': { description: '{id, removed: true}' },
        ...errors(401, 403, 404),
        '409': {
          description: 'last_owner: the tenant would have no owner',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  },
  '/v1/auth/accept-invite': {
    post: {
      summary:
        'Accept an invite: a new account (or an existing one proving its password) joins the tenant, and signs in',
      description: `Works in either SIGNUP_MODE. The token is the invite link's #token=. A new address: password (the sign-up rules) and name make the account. An address with an account: password must be its current password (401 otherwise, throttled like sign-in, 429); name is ignored. A used, revoked, expired or unknown token: 400 invalid_invite (one answer for all). Already a member: 409. ${SETS_COOKIE}`,
      security: [],
      requestBody: jsonBody(acceptInviteSchema),
      responses: { '201': { description: SESSION_ANSWER }, ...errors(400, 401, 409, 429) },
    },
  },
  '/v1/auth/verify-email': {
    post: {
      summary: "Verify the account's e-mail address with the token of the link e-mailed at sign-up (or re-sent)",
      description:
        "The token is the verification link's #token=; it works once, until EMAIL_VERIFY_TTL (48 h by default). Used, replaced, expired, malformed or unknown: 400 invalid_verification (one answer for all). Needs no session (the link may be opened in another browser). Until the address is verified, a signed-in person may read and build but not create API keys, send invites, configure SSO, or erase or export people (403 email_unverified).",
      security: [],
      requestBody: jsonBody(verifyEmailSchema),
      responses: { '200': { description: '{email_verified: true}' }, ...errors(400) },
    },
  },
  '/v1/auth/verify-email/resend': {
    post: {
      summary: 'E-mail the signed-in person a new verification link (the previous one stops working)',
      description:
        'Answers {email_verified: true, emailed: false} when the address is verified already (nothing is sent), else {email_verified: false, emailed} (emailed false when the mailer failed). Requests per account and per client are limited (429 with Retry-After). No body.',
      security: SESSION_ONLY,
      responses: { '200': { description: '{email_verified, emailed}' }, ...errors(401, 403, 429) },
    },
  },
  '/v1/auth/forgot': {
    post: {
      summary: 'Ask for a password-reset link: the same 202 whether or not the address has an account',
      description:
        'When it has one, a single-use link (valid PASSWORD_RESET_TTL, 1 h by default) is e-mailed by the dispatcher shortly after the answer (so the answer takes the same time either way); an earlier unused link stops working. Requests per address and per client are limited (429 with Retry-After), counted apart from failed sign-ins.',
      security: [],
      requestBody: jsonBody(forgotSchema),
      responses: { '202': { description: '{accepted: true, message}' }, ...errors(400, 429) },
    },
  },
  '/v1/auth/reset': {
    post: {
      summary: "Set a new password with a reset link's token: every session of the account ends; no session starts",
      description:
        "The token is the reset link's #token=. Used, superseded, expired or unknown: 400 invalid_reset (one answer for all). The password follows the sign-up rules (400 weak_password).",
      security: [],
      requestBody: jsonBody(resetSchema),
      responses: { '200': { description: '{password_reset: true, message}' }, ...errors(400) },
    },
  },
  '/v1/auth/options': {
    get: {
      summary: 'How people sign in to this deployment: {signup: open|invite-only, key_signin: boolean, sso: true}',
      description:
        "Public; the same for every caller (names no tenant). signup follows SIGNUP_MODE; key_signin follows KEY_SIGNIN (the dashboard's API-key form, on locally, off in a hosted deployment; API keys keep working for programs either way).",
      security: [],
      responses: { '200': { description: '{signup, key_signin, sso}' } },
    },
  },
  '/v1/invites': {
    get: {
      summary:
        'Open invites of the tenant (not accepted, revoked or expired): {invites: [{id, email, role, created_at, expires_at}]}',
      responses: { '200': { description: 'Invites' }, ...errors(401, 403) },
    },
    post: {
      summary: 'Invite an e-mail address with a role (admin role or admin key; only an owner invites an owner)',
      description:
        'E-mails a single-use link valid INVITE_TTL (7 d by default) and returns it as invite_url to copy; emailed is false when the mailer failed. The token itself is not stored (only its hash) and is never shown again. A session whose e-mail address is not verified yet: 403 email_unverified.',
      requestBody: jsonBody(createInviteSchema),
      responses: {
        '201': { description: '{id, email, role, created_at, expires_at, invite_url, emailed}' },
        ...errors(400, 401, 403),
        '409': {
          description: 'already_member: the address is a member of the tenant',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  },
  '/v1/invites/{id}': {
    delete: {
      summary: 'Revoke an open invite: its link stops working (only an owner revokes an invite as owner)',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: { '200': { description: '{id, revoked: true}' }, ...errors(401, 403, 404) },
    },
  },
  '/v1/sso': {
    get: {
      summary: "The tenant's single sign-on (OpenID Connect) configuration, without the client secret",
      responses: {
        '200': { description: '{issuer, client_id, allowed_domains, default_role, enabled, redirect_uri}' },
        ...errors(401, 403, 404),
      },
    },
    put: {
      summary:
        'Create or replace the single sign-on configuration (admin; a default_role of admin needs an owner); the issuer must pass OpenID Connect discovery',
      description:
        'client_secret is sealed at rest (AES-256-GCM) and never shown again; leave it out to keep the stored one (same issuer and client_id only). Register redirect_uri (the answer) at the issuer. 400 invalid_issuer: discovery failed (the message says why). 409 sso_unavailable: the deployment has no SSO_SECRET_KEY.',
      requestBody: jsonBody(ssoConfigSchema),
      responses: {
        '200': { description: '{issuer, client_id, allowed_domains, default_role, enabled, redirect_uri}' },
        ...errors(400, 401, 403),
        '409': {
          description: 'sso_unavailable: this deployment cannot store client secrets (no SSO_SECRET_KEY)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    delete: {
      summary: 'Remove the single sign-on configuration: SSO sign-in stops at once',
      responses: { '200': { description: '{deleted: true}' }, ...errors(401, 403, 404) },
    },
  },
  '/v1/auth/sso/start': {
    get: {
      summary: "Start a single sign-on: 302 to the organization's issuer (authorization code flow, PKCE S256)",
      description: `Sets the short-lived HttpOnly cookie cs_sso (Path=/v1/auth/sso) that binds the sign-in to this browser. return_to must be a path of this app (default /). Any failure: 302 to <APP_URL>/sign-in#sso_error=<code>, code one of ${SSO_ERRORS.join(', ')}.`,
      security: [],
      parameters: [
        { name: 'organization', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'return_to', in: 'query', required: false, schema: { type: 'string' } },
      ],
      responses: { '302': { description: "Location: the issuer's authorization endpoint, or the sign-in page" } },
    },
  },
  '/v1/auth/sso/callback': {
    get: {
      summary: "The issuer's redirect: verifies the sign-in, starts a session and 302 to <APP_URL><return_to>",
      description: `The redirect URI to register at the issuer. Checks state (single use) against the cs_sso cookie, exchanges the code, verifies the ID token (JWKS signature, iss, aud, exp, nonce), needs a verified e-mail address in an allowed domain; the person's account (found by e-mail, or made with the default role and no usable password) joins the tenant if needed. ${SETS_COOKIE} Any failure: 302 to <APP_URL>/sign-in#sso_error=<code>.`,
      security: [],
      parameters: [
        { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
      ],
      responses: { '302': { description: 'Location: <APP_URL><return_to>, or the sign-in page with #sso_error=' } },
    },
  },
  '/v1/me': {
    get: {
      summary: 'The signed-in person, their role, their tenant and the CSRF token',
      security: SESSION_ONLY,
      responses: { '200': { description: SESSION_ANSWER }, ...errors(401) },
    },
  },
} as const;
