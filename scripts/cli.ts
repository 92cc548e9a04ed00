// The admin CLI: `npm run cli -- <command>` or the `customersignal` bin. Every command takes --json.
import { Command, CommanderError } from 'commander';
import { config, ConfigError, loadConfig } from '../adapters/config';
import { createSql, ensureDatabase, type Sql } from '../adapters/postgres/client';
import { migrate } from '../adapters/postgres/migrate';
import { createProject, createTenant, listTenants, setTenantRetention } from '../adapters/postgres/tenants-store';
import { listApiKeys, revokeApiKeyById } from '../adapters/postgres/api-keys-store';
import { createKafka } from '../adapters/kafka/client';
import { ensureTopics } from '../adapters/kafka/topics';
import { topicSpecs } from '../adapters';
import { parseScopes } from '../core/api-keys';
import { CliError, createKeyFor, tenantBySlug } from './admin';
import { registerDlqCommands } from './cli-dlq';
import { registerReplayCommand } from './cli-replay';
import { registerRebuildCommand } from './cli-rebuild';
import { registerAlertCommands } from './cli-alerts';

type Output = { json: boolean };

function print(out: Output, data: unknown, text: string): void {
  process.stdout.write(out.json ? JSON.stringify(data) + '\n' : text + '\n');
}

async function withSql<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = createSql({ ...config().database, poolSize: 2 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function table(rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function buildCli(): Command {
  const program = new Command('customersignal')
    .description('CustomerSignal admin CLI')
    .option('--json', 'machine-readable output')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // Against AWS (secret ARNs, an MSK cluster ARN) the config needs one async resolution; locally a no-op.
    .hook('preAction', async () => {
      await loadConfig();
    });
  const out = (): Output => ({ json: Boolean(program.opts().json) });

  program.command('migrate').description('create the database if needed and apply SQL migrations').action(async () => {
    await ensureDatabase(config().database.url);
    const result = await withSql(migrate);
    print(out(), result, result.applied.length ? `applied ${result.applied.join(', ')}` : `up to date (${result.alreadyApplied} migrations)`);
  });

  program.command('topics').description('create or check the Kafka topics').action(async () => {
    const status = await ensureTopics(createKafka(config().kafka), topicSpecs(config()));
    print(out(), status, status.map((s) => `${s.topic}: ${s.created ? 'created' : 'exists'}, ${s.partitions} partitions`).join('\n'));
  });

  const tenant = program.command('tenant').description('tenants');
  const retentionDays = (v: string): number | null => {
    if (v === 'default') return null;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 3650) throw new CliError(`retention must be a number of days from 1 to 3650, or "default" (the platform's RETENTION); got "${v}"`);
    return n;
  };
  const platformDays = () => Math.round(config().limits.retentionMs / 86_400_000);
  const retentionText = (days: number | null) => {
    const effective = days === null ? platformDays() : Math.min(days, platformDays());
    return days === null ? `${effective} days (platform default)` : days > platformDays() ? `${effective} days (asked ${days}, capped by RETENTION)` : `${effective} days`;
  };
  tenant
    .command('create <slug>')
    .option('--name <name>', 'display name')
    .option('--retention-days <days>', "raw-event retention (at most the platform's RETENTION)")
    .action(async (slug: string, o: { name?: string; retentionDays?: string }) => {
      const days = o.retentionDays === undefined ? null : retentionDays(o.retentionDays);
      const t = await withSql(async (sql) => {
        const created = await createTenant(sql, slug, o.name ?? slug);
        if (days !== null) await setTenantRetention(sql, slug, days);
        return created;
      });
      print(out(), { id: t.id, slug: t.slug, name: t.name, retention_days: days }, `created tenant ${t.slug} (${t.id}), retention ${retentionText(days)}`);
    });
  tenant.command('list').action(async () => {
    const rows = await withSql(listTenants);
    print(
      out(),
      rows.map((t) => ({ id: t.id, slug: t.slug, name: t.name, retention_days: t.retentionDays, created_at: t.createdAt })),
      table(rows.map((t) => [t.slug, t.name, t.id, `retention ${retentionText(t.retentionDays)}`])),
    );
  });
  tenant
    .command('set-retention <slug> <days>')
    .description("raw-event retention in days, or \"default\" for the platform's RETENTION; older events are refused, dropped and deleted by the next maintenance run")
    .action(async (slug: string, v: string) => {
      const days = retentionDays(v);
      if (!(await withSql((sql) => setTenantRetention(sql, slug, days)))) throw new CliError(`tenant "${slug}" does not exist`);
      print(out(), { slug, retention_days: days }, `tenant ${slug}: retention ${retentionText(days)} (ingest and aggregation apply it within 30 s)`);
    });

  program
    .command('project')
    .description('projects')
    .command('create <project-slug>')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--name <name>', 'display name')
    .option('--schema-mode <mode>', 'open or strict', 'open')
    .action(async (slug: string, o: { tenant: string; name?: string; schemaMode: string }) => {
      if (o.schemaMode !== 'open' && o.schemaMode !== 'strict') throw new CliError('--schema-mode must be open or strict');
      const p = await withSql(async (sql) => createProject(sql, (await tenantBySlug(sql, o.tenant)).id, slug, o.name ?? slug, o.schemaMode as 'open' | 'strict'));
      print(out(), { id: p.id, slug: p.slug, tenant: o.tenant, schema_mode: p.schemaMode }, `created project ${p.slug} in ${o.tenant} (${p.schemaMode})`);
    });

  const key = program.command('key').description('API keys');
  key
    .command('create')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--scope <scopes>', 'ingest, read and/or admin, comma-separated')
    .option('--project <slug>', 'bind the key to one project')
    .action(async (o: { tenant: string; scope: string; project?: string }) => {
      let scopes;
      try {
        scopes = parseScopes(o.scope);
      } catch (e) {
        throw new CliError(`--scope: ${(e as Error).message}`);
      }
      const k = await withSql((sql) => createKeyFor(sql, o.tenant, scopes, o.project));
      print(out(), k, `${k.key}\n(id ${k.id}, scopes ${k.scopes.join(',')}${k.project ? `, project ${k.project}` : ''}; shown once, store it now)`);
    });
  key.command('list').requiredOption('--tenant <slug>', 'tenant slug').action(async (o: { tenant: string }) => {
    const rows = await withSql(async (sql) => listApiKeys(sql, (await tenantBySlug(sql, o.tenant)).id));
    print(
      out(),
      rows.map((k) => ({ id: k.id, prefix: k.prefix, scopes: k.scopes, project: k.projectSlug, created_at: k.createdAt, last_used_at: k.lastUsedAt, revoked_at: k.revokedAt })),
      table(rows.map((k) => [k.id, k.prefix + '…', k.scopes.join(','), k.projectSlug ?? '-', k.revokedAt ? 'revoked' : k.lastUsedAt ? `used ${k.lastUsedAt.toISOString()}` : 'never used'])),
    );
  });
  key.command('revoke <id>').action(async (id: string) => {
    const tenantId = await withSql((sql) => revokeApiKeyById(sql, id));
    if (!tenantId) throw new CliError(`no API key with id ${id}`);
    print(out(), { id, revoked: true }, `revoked ${id} (effective within seconds)`);
  });

  registerDlqCommands(program, { out, print, withSql, table });
  registerReplayCommand(program, { out, print, withSql, table });
  registerRebuildCommand(program, { out, print, withSql, table });
  registerAlertCommands(program, { out, print, withSql, table });
  return program;
}

function explain(e: unknown): string {
  if (e instanceof CliError || e instanceof ConfigError) return e.message;
  const err = e as { code?: string; message?: string; name?: string };
  if (err.code === 'ECONNREFUSED' && /5432|postgres/i.test(String(err.message) + JSON.stringify(e))) return `cannot reach Postgres at ${config().database.url.replace(/\/\/[^@]*@/, '//')}; is it running?`;
  if (err.code === 'ECONNREFUSED') return `connection refused: ${err.message}`;
  if (err.code === '3D000') return `database does not exist; run: customersignal migrate`;
  if (err.code === '42P01') return `the schema is missing; run: customersignal migrate`;
  if (err.name === 'KafkaJSNumberOfRetriesExceeded' || err.name === 'KafkaJSConnectionError') return `cannot reach Kafka at ${config().kafka.brokers.join(',')}; start it with: npm run kafka:start`;
  return err.message ?? String(e);
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`error: ${explain(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
