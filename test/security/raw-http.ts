// A raw HTTP/1.1 client on a plain socket: sends exactly the bytes given (bad header forms, invalid UTF-8 in the
// request line, duplicate headers, lying Content-Length, trickled bodies), which fetch and node:http refuse to send.
import { connect } from 'node:net';

export interface RawResponse {
  status: number; // 0: the server closed the connection without an answer
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export interface RawRequest {
  method: string;
  target: string; // path and query, sent as is (may hold any byte via latin1)
  headers: [string, string][];
  body?: Buffer;
  /** Send the body in this many pieces, `trickleMs` apart (slow clients). */
  trickle?: { pieces: number; everyMs: number };
}

export function rawRequest(port: number, req: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks), Date.now() - started));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.target.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Answer complete when Content-Length bytes of body have arrived.
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end >= 0) {
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(all.subarray(0, end).toString('latin1'));
        if (m && all.length >= end + 4 + Number(m[1])) finish();
      }
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => finish()); // a reset after the answer (the server refuses the rest of a body) is fine
    socket.on('connect', async () => {
      const head = `${req.method} ${req.target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${req.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      socket.write(Buffer.from(head, 'latin1'));
      const body = req.body;
      if (!body || body.length === 0) return;
      if (!req.trickle) {
        socket.write(body);
        return;
      }
      const size = Math.ceil(body.length / req.trickle.pieces);
      for (let i = 0; i < body.length && !socket.destroyed; i += size) {
        socket.write(body.subarray(i, i + size));
        await new Promise((r) => setTimeout(r, req.trickle!.everyMs));
      }
    });
  });
}

function parse(raw: Buffer, ms: number): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: raw.toString('utf8'), ms };
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status, headers, body: raw.subarray(end + 4).toString('utf8'), ms };
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}
