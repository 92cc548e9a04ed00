// A TCP proxy on 127.0.0.1 in front of the test broker that closes connections on demand, the way MSK closes
// an IAM-authenticated connection whose session expired (kafkajs cannot re-authenticate): either at once, or
// when the client sends its next request on it (the broker never sees that request).
import * as net from 'node:net';
import type { ISocketFactory } from 'kafkajs';

export interface DroppingProxy {
  /** Connects every kafkajs connection (whatever broker address the metadata names) through the proxy. */
  socketFactory: ISocketFactory;
  /** Closes every open connection now; requests in flight lose their answers (unknown outcome). */
  dropAll(): number;
  /** Marks every open connection expired: it is closed when the client next sends on it, before forwarding. */
  expireAll(): number;
  /** Connections closed so far. */
  closed(): number;
  stop(): Promise<void>;
}

export async function startDroppingProxy(broker: string): Promise<DroppingProxy> {
  const [host, port] = [broker.slice(0, broker.lastIndexOf(':')), Number(broker.slice(broker.lastIndexOf(':') + 1))];
  const open = new Map<net.Socket, { upstream: net.Socket; expired: boolean }>();
  let closedCount = 0;
  const close = (client: net.Socket) => {
    const c = open.get(client);
    if (!c) return;
    open.delete(client);
    closedCount++;
    client.destroy();
    c.upstream.destroy();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    const conn = { upstream, expired: false };
    open.set(client, conn);
    client.on('data', (chunk) => {
      if (conn.expired) return close(client);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', () => close(client));
      s.on('close', () => close(client));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyPort = (server.address() as net.AddressInfo).port;
  return {
    socketFactory: ({ onConnect }) => net.connect({ host: '127.0.0.1', port: proxyPort }, onConnect),
    dropAll() {
      const n = open.size;
      for (const client of [...open.keys()]) close(client);
      return n;
    },
    expireAll() {
      for (const c of open.values()) c.expired = true;
      return open.size;
    },
    closed: () => closedCount,
    async stop() {
      for (const client of [...open.keys()]) close(client);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
