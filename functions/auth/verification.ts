// E-mail verification (docs/api.md#e-mail-verification): sign-up e-mails a single-use, expiring link; POST
// /v1/auth/verify-email spends it and marks the address verified; POST /v1/auth/verify-email/resend sends a new link
// (replacing the last). Until then the account may read and build but not hand out credentials or move people's data
// out (core/accounts.ts emailVerificationRefusal, enforced by the router).
import { z } from 'zod';
import { hashLinkToken, looksLikeLinkToken } from '../../core/accounts';
import { badRequest, rateLimited } from '../../core/errors';
import type { Adapters } from '../../adapters';
import { json, type HttpResult } from '../http/middleware';
import type { HttpRequest } from '../http/request';
import type { SessionRequest } from '../http/router';
import { parseBody } from '../http/body-schema';
import { AUTH_BODY_LIMIT, audit, text } from './accounts';
import { sendVerification } from './mail';

export const verifyEmailSchema = z.object({ token: text(200) }).strict();

/** Used, replaced, expired, malformed or never issued: one answer, so the link's state is not revealed. */
export const INVALID_VERIFICATION =
  'This verification link is not valid (it was already used, a newer one was sent, or it has expired); sign in and ask for a new one (POST /v1/auth/verify-email/resend).';

/** POST /v1/auth/verify-email (public: the link may be opened in another browser): 200, or 400 invalid_verification. */
export async function verifyEmail(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  const body = parseBody(verifyEmailSchema, request.body(AUTH_BODY_LIMIT));
  const invalid = () =>
    badRequest('invalid_verification', INVALID_VERIFICATION, [{ field: 'token', message: INVALID_VERIFICATION }]);
  if (!looksLikeLinkToken(body.token)) throw invalid();
  const done = await deps.accounts.verifyEmail({ tokenHash: hashLinkToken(body.token), nowMs: deps.now() }, (t, u) =>
    audit(deps, t, u, 'user.email_verify'),
  );
  if (!done) throw invalid();
  return json(200, { email_verified: true });
}

/**
 * POST /v1/auth/verify-email/resend (session): a new link to the signed-in person's address, replacing the last;
 * nothing is sent when the address is verified already. 429 past the per-account/address limits.
 */
export async function resendVerification(deps: Adapters, request: SessionRequest): Promise<HttpResult> {
  const s = request.session;
  const limited = await deps.verifyThrottle.attempt(s.email, request.event.requestContext.http.sourceIp);
  if (limited)
    throw rateLimited(
      'Too many verification e-mails asked for this account or from this client; wait for Retry-After seconds.',
      Math.max(1, Math.ceil(limited.retryAfterMs / 1000)),
    );
  if (await deps.accounts.isEmailVerified(s.userId)) return json(200, { email_verified: true, emailed: false });
  const emailed = await sendVerification(deps, { id: s.userId, email: s.email });
  return json(200, { email_verified: false, emailed });
}
