// Outgoing webhook requests: one POST with a timeout, to an address the target policy allows — checked when the
// connection is made (after DNS), so a name that resolves to a private address is refused too.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { refusedAddress, webhookUrlProblem, type TargetPolicy } from '../core/webhook';

/**
 * A target that no retry can reach: refused by the target policy (loopback, private, link-local or metadata
 * addresses) or not a valid http(s) URL. The dispatcher records it and gives up after this one attempt.
 */
export class WebhookTargetRefused extends Error {
  override name = 'WebhookTargetRefused';
  readonly permanent = true;
}

export interface WebhookResponse {
  statusCode: number;
}

export type WebhookSender = (url: string, body: string, headers: Record<string, string>) => Promise<WebhookResponse>;

export function createWebhookSender(policy: TargetPolicy, timeoutMs: number): WebhookSender {
  return (rawUrl, body, headers) =>
    new Promise<WebhookResponse>((resolve, reject) => {
      const problem = webhookUrlProblem(rawUrl);
      if (problem) return reject(new WebhookTargetRefused(`invalid target: url ${problem}`));
      const url = new URL(rawUrl);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) {
        const why = refusedAddress(host, host, policy);
        if (why) return reject(new WebhookTargetRefused(`refused target: ${why}`));
      }
      const lookup = (
        hostname: string,
        options: object,
        callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
      ) => {
        dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err, '');
          const list = addresses as LookupAddress[];
          const refused = list.map((a) => refusedAddress(a.address, hostname, policy)).find((r) => r !== null);
          if (refused) return callback(new WebhookTargetRefused(`refused target: ${refused}`), '');
          if ((options as { all?: boolean }).all) return callback(null, list);
          callback(null, list[0]!.address, list[0]!.family);
        });
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': String(Buffer.byteLength(body)),
            'User-Agent': 'CustomerSignal-Webhooks/1',
            ...headers,
          },
          lookup: lookup as never,
          timeout: timeoutMs,
        },
        (res) => {
          res.resume(); // the body is not needed; a 2xx is the answer
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0 }));
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.on('close', () => clearTimeout(timer));
      req.end(body);
    });
}
