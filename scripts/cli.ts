// The admin CLI: `npm run cli -- <command>` or the `customersignal` bin. Every command takes --json.
import { Command, CommanderError } from 'commander';
import { config, ConfigError, loadConfig } from '../adapters/config';
import { createSql, ensureDatabase, type Sql } from '../adapters/postgres/client';
import { migrate } from '../adapters/postgres/migrate';
import { operatorStores } from '../adapters/postgres/operator-stores';
import { createKafka } from '../adapters/kafka/client';
import { ensureTopics } from '../adapters/kafka/topics';
import { topicSpecs } from '../adapters';
import { awsAdminInvoke, AwsAdminError, type AdminInvoke } from '../adapters/aws/admin-invoke';
import {
  ADMIN_COMMANDS,
  CliError,
  runAdminCommand,
  type AdminCommand,
  type AdminResult,
  textTable,
} from '../functions/admin/commands';
import { adminSettings, type AdminResponse } from '../functions/admin/handler';
import { registerDlqCommands } from './cli-dlq';
import { registerReplayCommand } from './cli-replay';
import { registerRebuildCommand } from './cli-rebuild';
import { registerAlertCommands } from './cli-alerts';
import { registerExportCommand } from './cli-export';

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

export interface CliOptions {
  /** How --aws reaches the stack's admin function (default: the AWS SDK, adapters/aws/admin-invoke.ts); tests pass the handler. */
  adminInvoke?: (stack: string) => Promise<AdminInvoke>;
}

export function buildCli(options: CliOptions = {}): Command {
  const program = new Command('customersignal')
    .description('CustomerSignal admin CLI')
    .option('--json', 'machine-readable output')
    .option(
      '--aws <stack>',
      "run tenant, project and key commands on a deployed stack's admin function (lambda:Invoke with your AWS credentials)",
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const out = (): Output => ({ json: Boolean(program.opts().json) });

  program
    .command('migrate')
    .description('create the database if needed and apply SQL migrations')
    .action(async () => {
      await ensureDatabase(config().database.url);
      const result = await withSql(migrate);
      print(
        out(),
        result,
        result.applied.length
          ? `applied ${result.applied.join(', ')}`
          : `up to date (${result.alreadyApplied} migrations)`,
      );
    });

  program
    .command('topics')
    .description('create or check the Kafka topics')
    .action(async () => {
      const status = await ensureTopics(createKafka(config().kafka), topicSpecs(config()));
      print(
        out(),
        status,
        status.map((s) => `${s.topic}: ${s.created ? 'created' : 'exists'}, ${s.partitions} partitions`).join('\n'),
      );
    });

  // The operator commands (functions/admin/commands.ts): here, or with --aws on the stack's admin function.
  const remoteCapable = new WeakSet<Command>();
  const admin = async (cmd: AdminCommand): Promise<void> => {
    const stack = program.opts().aws as string | undefined;
    let result: AdminResult;
    if (stack === undefined) {
      result = await withSql((sql) => runAdminCommand(operatorStores(sql), adminSettings(), cmd));
    } else {
      const invoke = await (options.adminInvoke ?? awsAdminInvoke)(stack);
      const answer = (await invoke(cmd)) as AdminResponse;
      if (!answer?.ok) throw new CliError(answer?.error ?? 'the admin function gave no answer');
      result = answer;
    }
    print(out(), result.data, result.text);
  };
  const adminCommand = (parent: Command, nameAndArgs: string): Command => {
    const c = parent.command(nameAndArgs);
    remoteCapable.add(c);
    return c;
  };
  program.hook('preAction', async (_program, action) => {
    if (program.opts().aws !== undefined) {
      if (!remoteCapable.has(action))
        throw new CliError(
          `${action.parent?.name() === 'customersignal' ? '' : `${action.parent?.name()} `}${action.name()} is not available with --aws (only: ${ADMIN_COMMANDS.join(', ')})`,
        );
      return;
    }
    // Against AWS (secret ARNs, an MSK cluster ARN) the config needs one async resolution; locally a no-op.
    await loadConfig();
  });

  const tenant = program.command('tenant').description('tenants');
  adminCommand(tenant, 'create <slug>')
    .option('--name <name>', 'display name')
    .option('--retention-days <days>', "raw-event retention (at most the platform's RETENTION)")
    .action((slug: string, o: { name?: string; retentionDays?: string }) =>
      admin({ command: 'tenant create', slug, ...o }),
    );
  adminCommand(tenant, 'list').action(() => admin({ command: 'tenant list' }));
  adminCommand(tenant, 'set-retention <slug> <days>')
    .description(
      'raw-event retention in days, or "default" for the platform\'s RETENTION; older events are refused, dropped and deleted by the next maintenance run',
    )
    .action((slug: string, days: string) => admin({ command: 'tenant set-retention', slug, days }));
  adminCommand(tenant, 'set-timezone <zone>')
    .description(
      "the IANA time zone (e.g. Europe/Berlin) whose local hours and days the 1h/1d buckets follow; re-buckets the tenant's 1h/1d rollups before answering",
    )
    .requiredOption('--tenant <slug>', 'tenant slug')
    .action((timezone: string, o: { tenant: string }) =>
      admin({ command: 'tenant set-timezone', tenant: o.tenant, timezone }),
    );

  adminCommand(program.command('project').description('projects'), 'create <project-slug>')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--name <name>', 'display name')
    .option('--schema-mode <mode>', 'open or strict', 'open')
    .action((slug: string, o: { tenant: string; name?: string; schemaMode: string }) =>
      admin({ command: 'project create', slug, ...o }),
    );

  const key = program.command('key').description('API keys');
  adminCommand(key, 'create')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--scope <scopes>', 'ingest, read and/or admin, comma-separated')
    .option('--project <slug>', 'bind the key to one project')
    .action((o: { tenant: string; scope: string; project?: string }) => admin({ command: 'key create', ...o }));
  adminCommand(key, 'list')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .action((o: { tenant: string }) => admin({ command: 'key list', tenant: o.tenant }));
  adminCommand(key, 'revoke <id>').action((id: string) => admin({ command: 'key revoke', id }));

  adminCommand(program.command('owner').description("a tenant's owners"), 'invite <email>')
    .description(
      'an owner invite link for <email> (single use, INVITE_TTL): how a tenant gets its first owner where sign-up is invite-only',
    )
    .requiredOption('--tenant <slug>', 'tenant slug')
    .action((email: string, o: { tenant: string }) => admin({ command: 'owner invite', tenant: o.tenant, email }));

  registerDlqCommands(program, { out, print, withSql, table: textTable });
  registerReplayCommand(program, { out, print, withSql, table: textTable });
  registerRebuildCommand(program, { out, print, withSql, table: textTable });
  registerAlertCommands(program, { out, print, withSql, table: textTable });
  registerExportCommand(program, { out, print, withSql, table: textTable });
  return program;
}

function explain(e: unknown): string {
  if (e instanceof CliError || e instanceof ConfigError || e instanceof AwsAdminError) return e.message;
  const err = e as { code?: string; message?: string; name?: string };
  if (err.code === 'ECONNREFUSED' && /5432|postgres/i.test(String(err.message) + JSON.stringify(e)))
    return `cannot reach Postgres at ${config().database.url.replace(/\/\/[^@]*@/, '//')}; is it running?`;
  if (err.code === 'ECONNREFUSED') return `connection refused: ${err.message}`;
  if (err.code === '3D000') return `database does not exist; run: customersignal migrate`;
  if (err.code === '42P01') return `the schema is missing; run: customersignal migrate`;
  if (err.name === 'KafkaJSNumberOfRetriesExceeded' || err.name === 'KafkaJSConnectionError')
    return `cannot reach Kafka at ${config().kafka.brokers.join(',')}; start it with: npm run kafka:start`;
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
