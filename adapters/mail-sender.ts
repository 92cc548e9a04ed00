// Outgoing e-mail over SMTP (nodemailer): the local runtime's sink by default, SES's SMTP endpoint in AWS.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Kept on every attempt, so receivers can deduplicate retries. */
  messageId: string;
}

export type MailSender = (mail: Mail) => Promise<void>;

export function createMailSender(
  smtp: string | SMTPTransport.Options,
  from: string,
  timeoutMs: number,
): MailSender & { close(): void } {
  const timeouts = { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
  const transport =
    typeof smtp === 'string'
      ? nodemailer.createTransport(smtp, timeouts)
      : nodemailer.createTransport({ ...smtp, ...timeouts });
  const send = async (mail: Mail) => {
    await transport.sendMail({
      from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
    });
  };
  return Object.assign(send, { close: () => transport.close() });
}
