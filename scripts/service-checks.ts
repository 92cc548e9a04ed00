// Are the shared Postgres and Redis up? One clear line with the command that starts the missing one.
import { createConnection } from 'node:net';
import type { Config } from '../adapters/config';

export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

export function reachable(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: timeoutMs }, () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export async function assertPostgresAndRedis(cfg: Config): Promise<void> {
  const pg = new URL(cfg.database.url);
  if (!(await reachable(pg.hostname, Number(pg.port || 5432)))) {
    throw new ServiceUnavailableError(
      `Postgres is not reachable at ${pg.host}; start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  }
  const redis = new URL(cfg.redis.url);
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) {
    throw new ServiceUnavailableError(
      `Redis is not reachable at ${redis.host}; start it: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`,
    );
  }
}
