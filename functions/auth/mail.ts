// The e-mails of invites and password resets, sent through the platform's mailer. A failed send is logged (never
// the address, the link or the token) and reported to the caller as false: the inviter still has invite_url to copy.
import { randomUUID } from 'node:crypto';
import type { Adapters } from '../../adapters';
import type { Mail } from '../../adapters/mail-sender';
import { logger } from '../../adapters/logger';

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
