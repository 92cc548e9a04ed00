// The functions' least-privilege role (migrations/013_app_role.sql) against the real Postgres: it reads
// and writes rows and manages the raw-event partitions, and can do nothing else of the schema.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { parseConfig } from '../config';
import { APP_ROLE, setAppRolePassword } from './app-role';
import { createSql, dropDatabase, ensureDatabase, type Sql } from './client';
import { migrate } from './migrate';
import { createPartitionManager, partitionName } from './partitions';

const DAY_MS = 86_400_000;
let url: string;
let owner: Sql;
let app: postgres.Sql;

beforeAll(async () => {
  const base = new URL(parseConfig(process.env).database.url);
  base.pathname = `/cs_test_approle_${randomBytes(4).toString('hex')}`;
  url = base.toString();
  await ensureDatabase(url);
  owner = createSql({ url, poolSize: 2, prepare: true });
  await migrate(owner);
  const asApp = new URL(url);
  asApp.username = APP_ROLE;
  asApp.password = '';
  // Local Postgres trusts 127.0.0.1; on AWS the role signs in with the password from its secret.
  app = postgres(asApp.toString(), { max: 1, onnotice: () => undefined });
});

afterAll(async () => {
  await app?.end({ timeout: 5 });
  await owner?.end({ timeout: 5 });
  if (url) await dropDatabase(url);
});

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );

describe('the app role', () => {
  it('reads and writes rows', async () => {
    const slug = `t-${randomBytes(4).toString('hex')}`;
    const [row] =
      await app`insert into tenants (id, slug, name) values (${randomUUID()}, ${slug}, ${slug}) returning id`;
    expect(row!.id).toBeDefined();
    expect(await app`select slug from tenants where id = ${row!.id}`).toEqual([{ slug }]);
    await app`delete from tenants where id = ${row!.id}`;
  });

  it('creates the daily partitions ahead and drops an expired one, as aggregate, maintenance and retention do', async () => {
    const now = Date.UTC(2031, 0, 10);
    await createPartitionManager(app as unknown as Sql).ensureAhead(now, 2);
    const name = partitionName(now + DAY_MS);
    expect(await app`select to_regclass(${name}) is not null as present`).toEqual([{ present: true }]);
    await app.unsafe(`drop table ${name}`);
    // A partition the migrations created (owned by the partition role) can be dropped too.
    const [old] =
      await owner`select inhrelid::regclass::text as name from pg_inherits where inhparent = 'events'::regclass order by 1 limit 1`;
    if (old) expect(await codeOf(app.unsafe(`drop table ${old.name}`))).toBe('ok');
  });

  it('refreshes the statistics of distinct_ids, as the people rebuild does, without a skip warning', async () => {
    const notices: string[] = [];
    const asApp = new URL(url);
    asApp.username = APP_ROLE;
    asApp.password = '';
    const watched = postgres(asApp.toString(), { max: 1, onnotice: (n) => notices.push(String(n.message)) });
    const analyzeCount = async () =>
      (
        await owner<{ n: number }[]>`
        select analyze_count::int as n from pg_stat_user_tables where relname = 'distinct_ids'`
      )[0]!.n;
    const before = await analyzeCount();
    try {
      // The control: a table it does not own is skipped, with the warning this test looks for.
      await watched`analyze tenants`;
      expect(notices.join('\n')).toMatch(/skipping "tenants"/);
      notices.length = 0;
      await watched`analyze distinct_ids`;
      expect(notices).toEqual([]);
    } finally {
      // The statistics collector reports the run when the session ends and reports its counters.
      await watched.end({ timeout: 5 });
    }
    const deadline = Date.now() + 10_000;
    let after = await analyzeCount();
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await analyzeCount();
    }
    expect(after).toBe(before + 1);
  });

  it("cannot change the schema, read the migrations' bookkeeping or drop other tables", async () => {
    expect(await codeOf(app`alter table tenants add column hijack int`)).toBe('42501');
    expect(await codeOf(app`drop table tenants`)).toBe('42501');
    expect(await codeOf(app`truncate tenants`)).toBe('42501');
    expect(await codeOf(app`select * from schema_migrations`)).toBe('42501');
    expect(await codeOf(app`create role intruder`)).toBe('42501');
  });

  it('gets its password from a parameter, never from the statement text', async () => {
    const password = randomBytes(24).toString('hex');
    await setAppRolePassword(owner, password);
    const [row] =
      await owner`select rolpassword is not null as set, rolcanlogin from pg_authid where rolname = ${APP_ROLE}`;
    expect(row).toEqual({ set: true, rolcanlogin: true });
    await expect(setAppRolePassword(owner, 'short')).rejects.toThrow(/at least 16/);
  });

  it('is created idempotently when several databases migrate at once', async () => {
    const urls = [0, 1, 2].map(() => {
      const u = new URL(url);
      u.pathname = `/cs_test_approle_${randomBytes(4).toString('hex')}`;
      return u.toString();
    });
    try {
      await Promise.all(
        urls.map(async (u) => {
          await ensureDatabase(u);
          const sql = createSql({ url: u, poolSize: 1, prepare: true });
          try {
            await migrate(sql);
          } finally {
            await sql.end({ timeout: 5 });
          }
        }),
      );
    } finally {
      for (const u of urls) await dropDatabase(u);
    }
  });
});
