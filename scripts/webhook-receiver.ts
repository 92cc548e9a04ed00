// `npm run webhook-receiver -- [--port 4000] [--secret <whsec_...>]`: a local endpoint to point alert webhooks at
// (http://127.0.0.1:4000/hook). Prints each delivery and, given the rule's secret, whether its signature verifies.
import { createServer } from 'node:http';
import { verifySignature } from '../core/webhook';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(arg('port') ?? 4000);
const secret = arg('secret');
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = String(req.headers['x-customersignal-signature'] ?? '');
    const verdict =
      secret === undefined
        ? 'signature not checked (pass --secret)'
        : verifySignature(secret, body, signature, Date.now())
          ? 'signature OK'
          : 'SIGNATURE INVALID';
    let summary = body;
    try {
      const p = JSON.parse(body) as Record<string, unknown>;
      summary = `${String(p.state).toUpperCase()} "${String(p.rule_name)}" ${String(p.event_type)} value=${String(p.value)} threshold=${String(p.threshold)} window=${String(p.window)}`;
    } catch {
      /* print the raw body */
    }
    process.stdout.write(
      `${new Date().toISOString()} ${req.method} ${req.url} delivery=${String(req.headers['x-customersignal-delivery'] ?? '-')} ${summary} (${verdict})\n`,
    );
    res.writeHead(200).end('ok');
  });
});
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`Webhook receiver on http://127.0.0.1:${port}/hook — Ctrl-C stops it\n`),
);
