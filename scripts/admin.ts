// Operator actions shared by the admin CLI, `npm start` and the admin Lambda: they live in functions/admin/commands.ts
// and take the operator stores; the scripts hold a client.
import type { Sql } from '../adapters/postgres/client';
import { operatorStores } from '../adapters/postgres/operator-stores';
import * as commands from '../functions/admin/commands';
import type { Scope } from '../core/api-keys';

export { CliError } from '../functions/admin/commands';

export const tenantBySlug = (sql: Sql, slug: string) => commands.tenantBySlug(operatorStores(sql).tenants, slug);

export const createKeyFor = (sql: Sql, tenantSlug: string, scopes: Scope[], projectSlug?: string) =>
  commands.createKeyFor(operatorStores(sql), tenantSlug, scopes, projectSlug);
