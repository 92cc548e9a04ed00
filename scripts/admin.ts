// Operator actions shared by the admin CLI, `npm start` and the admin Lambda: they live in functions/admin/commands.ts.
export { CliError, createKeyFor, tenantBySlug } from '../functions/admin/commands';
