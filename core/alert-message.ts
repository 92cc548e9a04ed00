// What a notification says: the webhook payload of docs/api.md#webhook-deliveries and a readable e-mail. Pure.
import { formatDuration, type AlertRule } from './alert-rule';
import type { WebhookPayload } from './webhook';

export function notificationPayload(
  rule: AlertRule,
  deliveryId: string,
  state: string,
  value: number | null,
  atMs: number,
  group: Record<string, string> | null = null,
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
    // Only group_by rules name the group: a rule without group_by keeps its payload as it was.
    ...(group === null ? {} : { group }),
  };
}

// Control characters (line breaks included), built without a control character in a regex literal.
const CONTROL = new RegExp(`[${String.fromCharCode(0)}-${String.fromCharCode(0x1f)}${String.fromCharCode(0x7f)}]`, 'g');

/** `country = DE` (several entries joined by ", "); null without a group. */
export function groupText(p: Pick<WebhookPayload, 'group'>): string | null {
  if (!p.group) return null;
  return Object.entries(p.group)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ')
    .replace(CONTROL, ' '); // a value's line breaks must not reach the subject header
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
  const group = groupText(p);
  const subject = `[${firing ? 'FIRING' : 'RESOLVED'}] ${p.rule_name}${group ? ` (${group})` : ''}`;
  const lines = [
    firing
      ? `The alert rule "${p.rule_name}" is firing${group ? ` for ${group}` : ''}.`
      : `The alert rule "${p.rule_name}" is resolved${group ? ` for ${group}` : ''} (now ${p.state}).`,
    '',
    ...(group ? [`Group: ${group}`] : []),
    describe(p),
    `At: ${p.at}`,
    `Rule id: ${p.rule_id}`,
    `Delivery id: ${p.id}`,
    ...(dashboardUrl ? ['', `Open the dashboard: ${dashboardUrl}`] : []),
  ];
  const html = [
    `<p><strong>${escapeHtml(lines[0]!)}</strong></p>`,
    ...(group ? [`<p>Group: ${escapeHtml(group)}</p>`] : []),
    `<p>${escapeHtml(describe(p))}<br>At: ${escapeHtml(p.at)}</p>`,
    `<p style="color:#666">Rule id: ${escapeHtml(p.rule_id)}<br>Delivery id: ${escapeHtml(p.id)}</p>`,
    ...(dashboardUrl ? [`<p><a href="${escapeHtml(dashboardUrl)}">Open the dashboard</a></p>`] : []),
  ].join('\n');
  return { subject, text: lines.join('\n') + '\n', html };
}
