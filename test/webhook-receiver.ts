// A real HTTP receiver for webhook tests: records every request; can answer 500 or never answer.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  body: string;
  json: Record<string, unknown>;
  atMs: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** What the next requests get: 200, a 500, or no answer at all (the connection stays open). */
  mode: 'ok' | 'fail' | 'hang';
  stop(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hooks/customersignal'): Promise<WebhookReceiver> {
  const hanging: ServerResponse[] = [];
  const receiver: WebhookReceiver = { url: '', received: [], mode: 'ok', stop: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        /* recorded as is */
      }
      receiver.received.push({ headers: req.headers, body, json, atMs: Date.now() });
      if (receiver.mode === 'hang') return void hanging.push(res);
      res.writeHead(receiver.mode === 'ok' ? 200 : 500).end(receiver.mode === 'ok' ? 'ok' : 'broken');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  receiver.stop = () =>
    new Promise<void>((r) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => r());
    });
  return receiver;
}
