// The admin CLI: `npm run cli -- <command>` or the `customersignal` bin. Every command takes --json.
import { Command, CommanderError } from 'commander';
import { config, ConfigError, loadConfig } from '../adapters/config';
import { createSql, ensureDatabase, type Sql } from '../adapters/postgres/client';
import { migrate } from '../adapters/postgres/migrate';
import { createProject, createTenant, listTenants } from '../adapters/postgres/tenants-store';
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
  tenant.command('create <slug>').option('--name <name>', 'display name').action(async (slug: string, o: { name?: string }) => {
    const t = await withSql((sql) => createTenant(sql, slug, o.name ?? slug));
    print(out(), { id: t.id, slug: t.slug, name: t.name }, `created tenant ${t.slug} (${t.id})`);
  });
  tenant.command('list').action(async () => {
    const rows = await withSql(listTenants);
    print(out(), rows.map((t) => ({ id: t.id, slug: t.slug, name: t.name, created_at: t.createdAt })), table(rows.map((t) => [t.slug, t.name, t.id])));
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
