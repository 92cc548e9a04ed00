// The SQL migrations, applied on deploy by a custom resource (functions/migrate/handler.ts) through RDS Proxy.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { PROJECT_ROOT, type FunctionDefaults } from './function-defaults';
import type { Storage } from './storage';

export const MIGRATIONS_PATH = path.join(PROJECT_ROOT, 'adapters', 'postgres', 'migrations');

/** Digest of the migration files: any added or edited file makes CloudFormation run the handler again. */
export function migrationsDigest(dir: string = MIGRATIONS_PATH): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(dir, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

export interface MigrationsProps {
  readonly defaults: FunctionDefaults;
  readonly storage: Storage;
  readonly providerLogGroup: logs.ILogGroup;
}

export class Migrations extends Construct {
  readonly function: NodejsFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const { storage } = props;
    this.function = props.defaults.create(this, 'Function', {
      entry: 'migrate/handler',
      description: 'Custom resource: apply the SQL migrations (adapters/postgres/migrations) on deploy',
      // The provider framework waits for the handler up to its own limit (Lambda's 15 minutes): the
      // handler spends at most this timeout retrying while RDS Proxy registers its target.
      timeout: Duration.minutes(14),
      connects: ['postgres'],
      withMigrations: true,
    });
    // The master user: the migrations create tables and the app role, and set its password.
    storage.grantPostgresMaster(this.function);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: props.providerLogGroup,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::Migrations',
      properties: { Digest: migrationsDigest() },
    });
    // The proxy answers only once its target (the instance) is registered; the handler retries with
    // backoff within its timeout while the target registers (functions/migrate/handler.ts).
    this.resource.node.addDependency(...(storage.proxy ? [storage.proxy] : []), storage.database);
  }
}
