// The one postgres.js client of the process, and database bootstrap helpers.
import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** false behind RDS Proxy, which does not support prepared statements across connections. */
  prepare: boolean;
  /** In AWS, read from Secrets Manager by loadConfig(); locally the URL carries it if needed. */
  password?: string;
}

export function createSql(opts: PostgresOptions): Sql {
  return postgres(opts.url, {
    max: opts.poolSize,
    prepare: opts.prepare,
    ...(opts.password !== undefined && { password: opts.password }),
    onnotice: () => undefined,
    connect_timeout: 10,
    idle_timeout: 60,
    // postgres.js waits up to 20 s between reconnects by default (3^n/100 s, the count shared by the pool), so after a
    // short outage queued queries kept waiting for ~15 s once Postgres was back. Cap the wait at 1 s.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1),
    connection: { application_name: 'customersignal' },
  });
}

/** Store functions take the client first; a store object of the process has it bound (adapters/index.ts). */
export type BoundToSql<F> = {
  [K in keyof F]: F[K] extends (sql: Sql, ...args: infer A) => infer R ? (...args: A) => R : never;
};

export function bindSql<F extends Record<string, (sql: Sql, ...args: never[]) => unknown>>(
  sql: Sql,
  fns: F,
): BoundToSql<F> {
  const bound = Object.entries(fns).map(([name, fn]) => [name, (...args: never[]) => fn(sql, ...args)]);
  return Object.fromEntries(bound) as BoundToSql<F>;
}

/** A unique index refused the row (SQLSTATE 23505): it exists already, made by this request's twin or earlier. */
export const isUniqueViolation = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === '23505';

/** Creates the database named in `url` when it does not exist (connects to the server's `postgres` database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name))
    throw new Error(`database name "${name}" must be 1-63 letters, digits, _ or -`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    const [row] = await sql`select 1 as found from pg_database where datname = ${name}`;
    if (!row)
      await sql.unsafe(`create database "${name}"`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // created concurrently
      });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Drops a database (tests only create throwaway ones). */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`drop database if exists "${name.replace(/"/g, '')}" with (force)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
