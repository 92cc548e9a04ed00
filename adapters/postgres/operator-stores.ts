// The stores of the operator commands (functions/admin/commands.ts): tenants, projects and API keys. Apart from
// adapters/index.ts so the admin function's bundle holds Postgres only.
import { bindSql, createSql, type PostgresOptions, type Sql } from './client';
import { createTenantsStore, type TenantsStore } from './tenants-store';
import { createApiKeysStore, type ApiKeysStore } from './api-keys-store';
import { createTenantZoneStore, type TenantZoneStore } from './tenant-settings-store';
import { createInvite, isMember } from './accounts-store';

export interface OperatorStores {
  tenants: TenantsStore;
  apiKeys: ApiKeysStore;
  /** Tenant time zones (`tenant set-timezone`). */
  tenantZones: TenantZoneStore;
  /** The first owner's invite (`owner invite`): the same invites as POST /v1/invites. */
  invites: ReturnType<typeof operatorInvites>;
}

const operatorInvites = (sql: Sql) => bindSql(sql, { createInvite, isMember });

export const operatorStores = (sql: Sql): OperatorStores => ({
  tenants: createTenantsStore(sql),
  apiKeys: createApiKeysStore(sql),
  tenantZones: createTenantZoneStore(sql),
  invites: operatorInvites(sql),
});

/** On a client of their own with one connection: an operator runs one command at a time. */
export const createOperatorStores = (database: PostgresOptions): OperatorStores =>
  operatorStores(createSql({ ...database, poolSize: 1 }));
