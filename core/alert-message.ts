// What a notification says: the webhook payload of docs/api.md#webhook-deliveries and a readable e-mail. Pure.
import { formatDuration, type AlertRule } from './alert-rule';
import type { WebhookPayload } from './webhook';

export function notificationPayload(
  rule: AlertRule,
  deliveryId: string,
  state: string,
  value: number | null,
  atMs: number,
): WebhookPayload {
  return {
    id: deliveryId,
    rule_id: rule.id,
    rule_name: rule.name,
    state,
    value,
    threshold: rule.threshold,
    window: formatDuration(rule.windowMs),
    event_type: rule.eventType,
    project: rule.projectSlug,
    at: new Date(atMs).toISOString(),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function describe(p: WebhookPayload): string {
  const value =
    p.value === null ? 'no data' : String(Number.isInteger(p.value) ? p.value : Number(p.value.toPrecision(6)));
  return `${p.event_type}${p.project ? ` (project ${p.project})` : ''}: value ${value}, threshold ${p.threshold}, window ${p.window}`;
}

export function emailMessage(
  p: WebhookPayload,
  dashboardUrl: string | null,
): { subject: string; text: string; html: string } {
  const firing = p.state === 'firing';
  const subject = `[${firing ? 'FIRING' : 'RESOLVED'}] ${p.rule_name}`;
  const lines = [
    firing
      ? `The alert rule "${p.rule_name}" is firing.`
      : `The alert rule "${p.rule_name}" is resolved (now ${p.state}).`,
    '',
    describe(p),
    `At: ${p.at}`,
    `Rule id: ${p.rule_id}`,
    `Delivery id: ${p.id}`,
    ...(dashboardUrl ? ['', `Open the dashboard: ${dashboardUrl}`] : []),
  ];
  const html = [
    `<p><strong>${escapeHtml(lines[0]!)}</strong></p>`,
    `<p>${escapeHtml(describe(p))}<br>At: ${escapeHtml(p.at)}</p>`,
    `<p style="color:#666">Rule id: ${escapeHtml(p.rule_id)}<br>Delivery id: ${escapeHtml(p.id)}</p>`,
    ...(dashboardUrl ? [`<p><a href="${escapeHtml(dashboardUrl)}">Open the dashboard</a></p>`] : []),
  ].join('\n');
  return { subject, text: lines.join('\n') + '\n', html };
}
