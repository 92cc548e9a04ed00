// Delivers the notification outbox (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): every row at least once, with its id as the
// X-CustomerSignal-Delivery header on every attempt, retried with exponential backoff and jitter; each attempt recorded.
// Shared by the alert function (the first attempt of what an evaluation created) and the dispatch function (the rest).
import type { Config } from './config';
import type { ClaimedNotification, NotificationOutbox } from './postgres/notifications-store';
import type { WebhookSender } from './webhook-sender';
import type { MailSender } from './mail-sender';
import { signatureHeader, type WebhookPayload } from '../core/webhook';
import { emailMessage } from '../core/alert-message';
import { retryDelayMs } from '../core/backoff';
import { logger } from './logger';

export interface DispatchDeps {
  config: Pick<Config, 'webhooks' | 'alerts'>;
  notifications: NotificationOutbox;
  now: () => number;
  webhook: WebhookSender;
  mail: MailSender;
  random?: () => number;
}

export interface DispatchResult {
  attempted: number;
  delivered: number;
  failed: number;
}

/** How long a claimed notification stays with its dispatcher before another may take it. */
export const deliveryLeaseMs = (config: Pick<DispatchDeps['config'], 'webhooks'>) =>
  config.webhooks.timeoutMs * 3 + 5_000;
const leaseMs = (deps: DispatchDeps) => deliveryLeaseMs(deps.config);

/** One delivery of a notification to its channel; throws on a non-2xx answer, a timeout or a mail error. */
export async function deliver(
  notifiers: Pick<DispatchDeps, 'webhook' | 'mail'>,
  n: Pick<ClaimedNotification, 'id' | 'channel' | 'payload'>,
): Promise<{ statusCode: number | null }> {
  const payload = n.payload as unknown as WebhookPayload;
  if (n.channel.type === 'webhook') {
    const body = JSON.stringify(payload);
    const res = await notifiers.webhook(n.channel.url, body, {
      'X-CustomerSignal-Signature': signatureHeader(n.channel.secret, body, Date.now()),
      'X-CustomerSignal-Delivery': n.id,
    });
    if (res.statusCode < 200 || res.statusCode > 299)
      throw Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode });
    return { statusCode: res.statusCode };
  }
  const m = emailMessage(payload, null);
  await notifiers.mail({ to: n.channel.to, ...m, messageId: `<${n.id}@customersignal>` });
  return { statusCode: null };
}

async function attempt(deps: DispatchDeps, n: ClaimedNotification): Promise<boolean> {
  const started = deps.now();
  const t0 = performance.now();
  try {
    const { statusCode } = await deliver(deps, n);
    await deps.notifications.recordAttempt(n, {
      startedAtMs: started,
      durationMs: Math.round(performance.now() - t0),
      delivered: true,
      statusCode,
      error: null,
      retryAtMs: null,
    });
    return true;
  } catch (e) {
    const err = e as Error & { statusCode?: number };
    // A refused or invalid target fails the same way every time: one attempt, failed at once, the reason recorded.
    const permanent = (e as { permanent?: unknown }).permanent === true;
    const last = permanent || n.attempt >= deps.config.alerts.dispatchMaxAttempts;
    const retryAtMs = last ? null : deps.now() + retryDelayMs(n.attempt, (deps.random ?? Math.random)());
    // The target URL and the error are the tenant's own configuration; no secret or event property is logged.
    logger.warn('notification delivery failed', {
      notification_id: n.id,
      tenant_id: n.tenantId,
      channel: n.channel.type,
      attempt: n.attempt,
      final: last,
      permanent,
      error: err.message,
    });
    await deps.notifications.recordAttempt(n, {
      startedAtMs: started,
      durationMs: Math.round(performance.now() - t0),
      delivered: false,
      statusCode: err.statusCode ?? null,
      error: err.message.slice(0, 500),
      retryAtMs,
    });
    return false;
  }
}

/** Delivers due notifications (or only `ids`, e.g. the ones an evaluation just created), a few at a time. */
export async function dispatch(
  deps: DispatchDeps,
  opts: { limit?: number; ids?: string[] } = {},
): Promise<DispatchResult> {
  if (opts.ids && opts.ids.length === 0) return { attempted: 0, delivered: 0, failed: 0 };
  const claimed = await deps.notifications.claimDue({
    nowMs: deps.now(),
    leaseMs: leaseMs(deps),
    limit: opts.limit ?? 100,
    ids: opts.ids,
  });
  const results = await Promise.all(claimed.map((n) => attempt(deps, n)));
  const delivered = results.filter(Boolean).length;
  return { attempted: claimed.length, delivered, failed: claimed.length - delivered };
}
