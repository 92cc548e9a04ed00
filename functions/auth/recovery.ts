// Password reset (docs/api.md#password-reset): POST /v1/auth/forgot records a request and answers the same 202
// whether or not the address has an account; the dispatcher then e-mails an account a single-use, expiring link;
// POST /v1/auth/reset sets the new password and ends every session of the account.
import { z } from 'zod';
import { hashLinkToken, looksLikeLinkToken, newLinkToken, resetUrl } from '../../core/accounts';
import { badRequest, rateLimited } from '../../core/errors';
import { hashPassword, passwordProblem } from '../../core/passwords';
import type { Adapters } from '../../adapters';
import { json, type HttpResult } from '../http/middleware';
import type { HttpRequest } from '../http/request';
import { parseBody } from '../http/body-schema';
import { AUTH_BODY_LIMIT, audit, email, password, text } from './accounts';
import { sendResetMail } from './mail';

export const forgotSchema = z.object({ email }).strict();
export const resetSchema = z.object({ token: text(200), password }).strict();

export const FORGOT_ANSWER = {
  accepted: true,
  message: 'If an account has this e-mail address, a link to reset its password is on its way.',
};

export const INVALID_RESET =
  'This reset link is not valid (it was already used, a newer one was sent, or it has expired); ask for a new one (POST /v1/auth/forgot).';

/**
 * POST /v1/auth/forgot: 202 whether or not the address has an account; 429 past the per-account/address limits.
 * Constant work: the throttle, then one store call that records a request for the address's account (or nothing),
 * the same statement either way; no token, hash, audit or mail happens before the answer. The dispatcher sends the
 * mail afterwards (sendRequestedResets), so the answer's time does not depend on whether the account exists.
 */
export async function forgot(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  const body = parseBody(forgotSchema, request.body(AUTH_BODY_LIMIT));
  // Every request counts (known address or not), so the limit itself reveals nothing.
  const limited = await deps.forgotThrottle.attempt(body.email, request.event.requestContext.http.sourceIp);
  if (limited)
    throw rateLimited(
      'Too many password-reset requests for this address or from this client; wait for Retry-After seconds.',
      Math.max(1, Math.ceil(limited.retryAfterMs / 1000)),
    );
  await deps.accounts.requestPasswordReset(body.email, deps.now());
  return json(202, FORGOT_ANSWER);
}

/**
 * The dispatcher's part of POST /v1/auth/forgot: for each recorded request (one per user however many were made), a
 * new single-use link (an earlier unused one stops working), its audit entry, and the mail. A failed send is logged by
 * mail.ts and not retried: the person asks again. Returns how many mails were attempted.
 */
export async function sendRequestedResets(deps: Adapters, limit = 100): Promise<number> {
  let attempted = 0;
  for (;;) {
    const claimed = await deps.accounts.claimPasswordResetRequests(deps.now(), limit);
    for (const user of claimed) {
      const { id: token, hash } = newLinkToken();
      const nowMs = deps.now();
      const ttlMs = deps.config.accounts.passwordResetTtlMs;
      await deps.accounts.createPasswordReset({ userId: user.userId, tokenHash: hash, nowMs, ttlMs });
      if (user.tenantId)
        await deps.auditLog.append(audit(deps, user.tenantId, user.userId, 'user.password_reset_request'));
      await sendResetMail(deps, {
        to: user.email,
        link: resetUrl(deps.config.accounts.appUrl, token),
        expiresAt: new Date(nowMs + ttlMs),
      });
      attempted++;
    }
    if (claimed.length === 0) return attempted;
  }
}

/** POST /v1/auth/reset: the new password; the link is spent, every session of the account ends. No session starts. */
export async function reset(deps: Adapters, request: HttpRequest): Promise<HttpResult> {
  const body = parseBody(resetSchema, request.body(AUTH_BODY_LIMIT));
  const invalid = () => badRequest('invalid_reset', INVALID_RESET, [{ field: 'token', message: INVALID_RESET }]);
  if (!looksLikeLinkToken(body.token)) throw invalid();
  const tokenHash = hashLinkToken(body.token);
  const open = await deps.accounts.findOpenPasswordReset(tokenHash, deps.now());
  if (!open) throw invalid();
  const problem = passwordProblem(body.password, open.email);
  if (problem) throw badRequest('weak_password', `${problem}.`, [{ field: 'password', message: problem }]);
  const passwordHash = await hashPassword(body.password, deps.config.accounts.scryptLogN);
  const done = await deps.accounts.resetPassword({ tokenHash, passwordHash, nowMs: deps.now() }, (tenantId, userId) =>
    audit(deps, tenantId, userId, 'user.password_reset'),
  );
  if (!done) throw invalid();
  return json(200, {
    password_reset: true,
    message: 'The password is changed; sign in with it (POST /v1/auth/login).',
  });
}
