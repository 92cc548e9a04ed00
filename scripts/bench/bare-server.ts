// Bench child: the floor for an HTTP endpoint in Node. node:http, reads the whole body, answers 202 with a
// constant body the size of our single-event answer, no other work. Same process model as ingest-server.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveCommands } from './child';

const BODY = Buffer.from(
  JSON.stringify({ accepted: 1, rejected: 0, event_ids: ['00000000-0000-7000-8000-000000000000'], errors: [] }),
);

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(202, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(BODY.length) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveCommands({
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
});
