// The outgoing channels of alert notifications, built from the configuration.
import type { Config } from './config';
import { createWebhookSender, type WebhookSender } from './webhook-sender';
import { createMailSender, type MailSender } from './mail-sender';

export interface Notifiers {
  webhook: WebhookSender;
  mail: MailSender;
  close(): void;
}

/** The platform's mailer: alert notifications, and invite and reset links (docs/api.md#accounts). */
export function createPlatformMailSender(config: Config): MailSender & { close(): void } {
  // SMTP_HOST (+ credentials; SES in AWS, STARTTLS required) when set, else SMTP_URL (the local sink by default).
  const smtp = config.smtp.host
    ? {
        host: config.smtp.host,
        port: config.smtp.port,
        secure: config.smtp.port === 465,
        requireTLS: config.smtp.port !== 465,
        ...(config.smtp.username && config.smtp.password
          ? { auth: { user: config.smtp.username, pass: config.smtp.password } }
          : {}),
      }
    : config.mail.smtpUrl;
  return createMailSender(smtp, config.smtp.from ?? config.mail.from, config.webhooks.timeoutMs);
}

export function createNotifiers(config: Config): Notifiers {
  const mail = createPlatformMailSender(config);
  return {
    webhook: createWebhookSender(
      { allowLoopback: config.webhooks.allowLoopback, allowedHosts: config.webhooks.allowedHosts },
      config.webhooks.timeoutMs,
    ),
    mail,
    close: () => mail.close(),
  };
}
