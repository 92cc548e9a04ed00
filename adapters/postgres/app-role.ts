// The functions' least-privilege database role (created by migrations/013_app_role.sql): its password
// is set on AWS by the migrations custom resource, from the role's own Secrets Manager secret.
import { createSql, type Sql } from './client';
import { migrate, type MigrationResult } from './migrate';
import { readJsonSecret } from '../aws/secret';
import type { Config } from '../config';

export const APP_ROLE = 'customersignal_app';

/**
 * Sets the app role's password. ALTER ROLE takes no bind parameters, so the password travels as one
 * (set_config, transaction-local) and is quoted by format(%L) inside the server: it never appears in
 * the statement text we send, nor in a statement log.
 */
export async function setAppRolePassword(sql: Sql, password: string): Promise<void> {
  if (password.length < 16) throw new Error('the app role password must be at least 16 characters');
  await sql.begin(async (tx) => {
    await tx`select set_config('customersignal.app_role_password', ${password}, true)`;
    await tx.unsafe(`do $$ begin
      execute format('alter role %I with login password %L', '${APP_ROLE}', current_setting('customersignal.app_role_password'));
    end $$`);
  });
}

/**
 * The migrations on a deploy (functions/migrate/handler.ts): on a client of their own with one connection, then the
 * app role's password from its secret (DATABASE_APP_SECRET_ARN) when one is configured.
 */
export async function migrateDeployment(cfg: Pick<Config, 'database' | 'aws'>): Promise<MigrationResult> {
  const sql = createSql({ ...cfg.database, poolSize: 1 });
  try {
    const result = await migrate(sql);
    const appSecretArn = cfg.database.appSecretArn;
    if (appSecretArn) {
      const secret = await readJsonSecret(appSecretArn, cfg.aws.region);
      if (typeof secret.password !== 'string') throw new Error('DATABASE_APP_SECRET_ARN has no "password"');
      await setAppRolePassword(sql, secret.password);
    }
    return result;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
