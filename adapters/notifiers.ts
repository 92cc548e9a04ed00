// The outgoing channels of alert notifications, built from the configuration.
import type { Config } from './config';
import { createWebhookSender, type WebhookSender } from './webhook-sender';
import { createMailSender, type MailSender } from './mail-sender';

export interface Notifiers {
  webhook: WebhookSender;
  mail: MailSender;
  close(): void;
}

export function createNotifiers(config: Config): Notifiers {
  const mail = createMailSender(config.mail.smtpUrl, config.mail.from, config.webhooks.timeoutMs);
  return {
    webhook: createWebhookSender({ allowLoopback: config.webhooks.allowLoopback, allowedHosts: config.webhooks.allowedHosts }, config.webhooks.timeoutMs),
    mail,
    close: () => mail.close(),
  };
}
