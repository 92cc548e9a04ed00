// The e-mails of invites, password resets and e-mail verification, sent through the platform's mailer. A failed send is logged (never
// the address, the link or the token) and reported to the caller as false: the inviter still has invite_url to copy.
import { randomUUID } from 'node:crypto';
import type { Adapters } from '../../adapters';
import type { Mail } from '../../adapters/mail-sender';
import { logger } from '../../adapters/logger';
import { newLinkToken, verifyEmailUrl } from '../../core/accounts';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function mailOf(to: string, subject: string, lines: string[], link: string): Mail {
  return {
    to: [to],
    subject,
    text: [...lines, '', link, ''].join('\n'),
    html: `${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    messageId: `<${randomUUID()}@customersignal>`,
  };
}

async function send(deps: Adapters, kind: string, mail: Mail): Promise<boolean> {
  try {
    await deps.accountMail(mail);
    return true;
  } catch (e) {
    logger.warn('account e-mail not sent', {
      kind,
      error_name: (e as Error).name,
      error_code: (e as { code?: unknown }).code,
    });
    return false;
  }
}

export function sendInviteMail(
  deps: Adapters,
  i: { to: string; organization: string; role: string; link: string; expiresAt: Date },
): Promise<boolean> {
  return send(
    deps,
    'invite',
    mailOf(
      i.to,
      `You are invited to ${i.organization} on CustomerSignal`,
      [
        `You are invited to join ${i.organization} on CustomerSignal as ${i.role}.`,
        `Open this link to accept (it works once, until ${i.expiresAt.toISOString()}):`,
      ],
      i.link,
    ),
  );
}

export function sendResetMail(deps: Adapters, r: { to: string; link: string; expiresAt: Date }): Promise<boolean> {
  return send(
    deps,
    'password_reset',
    mailOf(
      r.to,
      'Reset your CustomerSignal password',
      [
        'Someone (hopefully you) asked to reset the password of your CustomerSignal account.',
        `Open this link to choose a new one (it works once, until ${r.expiresAt.toISOString()}); ignore this e-mail otherwise:`,
      ],
      r.link,
    ),
  );
}

export function sendVerifyMail(deps: Adapters, v: { to: string; link: string; expiresAt: Date }): Promise<boolean> {
  return send(
    deps,
    'email_verify',
    mailOf(
      v.to,
      'Verify your e-mail address for CustomerSignal',
      [
        'Someone (hopefully you) signed up to CustomerSignal with this address.',
        `Open this link to verify it (it works once, until ${v.expiresAt.toISOString()}); ignore this e-mail otherwise:`,
      ],
      v.link,
    ),
  );
}

/** A new verification link for the user (an earlier unused one stops working), e-mailed; false when the send failed. */
export async function sendVerification(deps: Adapters, user: { id: string; email: string }): Promise<boolean> {
  const { id: token, hash } = newLinkToken();
  const nowMs = deps.now();
  const ttlMs = deps.config.accounts.emailVerifyTtlMs;
  await deps.accounts.createEmailVerification({ userId: user.id, tokenHash: hash, nowMs, ttlMs });
  return sendVerifyMail(deps, {
    to: user.email,
    link: verifyEmailUrl(deps.config.accounts.appUrl, token),
    expiresAt: new Date(nowMs + ttlMs),
  });
}
