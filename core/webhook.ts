// Webhook deliveries (docs/api.md#webhook-deliveries): the signed payload and which target addresses may be called. Pure.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

export interface WebhookPayload {
  id: string;
  rule_id: string;
  rule_name: string;
  state: string;
  value: number | null;
  threshold: number;
  window: string;
  event_type: string;
  project: string | null;
  at: string;
  /** group_by rules only: {"<group_by path>": "<the group's value>"} (docs/api.md#webhook-deliveries). */
  group?: Record<string, string>;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` */
export function signatureHeader(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** What a receiver does: checks the signature in constant time and that t is recent (default 5 minutes). */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  nowMs: number,
  toleranceS = 300,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const internal = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  internal.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['fd00:ec2::', 32],
] as const)
  internal.addSubnet(net, bits, 'ipv6');

export interface TargetPolicy {
  /** The local runtime calls loopback receivers (the normal way to try webhooks); a deployed stack does not. */
  allowLoopback: boolean;
  /** Host names or IP addresses allowed even when they are loopback, private, link-local or metadata addresses. */
  allowedHosts: string[];
}

/** Why an address must not be called, or null. IPv4-mapped IPv6 addresses are judged as IPv4. */
export function refusedAddress(address: string, host: string, policy: TargetPolicy): string | null {
  if (policy.allowedHosts.includes(host.toLowerCase()) || policy.allowedHosts.includes(address)) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (loopback.check(ip, family))
    return policy.allowLoopback ? null : `${host} resolves to a loopback address (${address})`;
  if (internal.check(ip, family)) return `${host} resolves to a private, link-local or metadata address (${address})`;
  return null;
}

/** A problem with a webhook URL itself (before any DNS), or null. */
export function webhookUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL, e.g. https://example.com/hooks/customersignal';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https (or http)';
  if (url.username || url.password) return 'must not carry credentials; the signature header authenticates deliveries';
  if (raw.length > 2_000) return 'must be at most 2000 characters';
  return null;
}
