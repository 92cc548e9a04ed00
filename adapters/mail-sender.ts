// Outgoing e-mail over SMTP (nodemailer): the local runtime's sink by default, SES's SMTP endpoint in AWS.
import nodemailer from 'nodemailer';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Kept on every attempt, so receivers can deduplicate retries. */
  messageId: string;
}

export type MailSender = (mail: Mail) => Promise<void>;

export function createMailSender(smtpUrl: string, from: string, timeoutMs: number): MailSender & { close(): void } {
  const transport = nodemailer.createTransport(smtpUrl, { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  const send = async (mail: Mail) => {
    await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId });
  };
  return Object.assign(send, { close: () => transport.close() });
}
