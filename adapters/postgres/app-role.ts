// The functions' least-privilege database role (created by migrations/013_app_role.sql): its password
// is set on AWS by the migrations custom resource, from the role's own Secrets Manager secret.
import type { Sql } from './client';

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
