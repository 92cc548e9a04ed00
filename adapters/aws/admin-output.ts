// The stack output that names the admin function: written by the CDK app (lib/admin.ts), read by
// `customersignal --aws` (admin-invoke.ts). Kept free of imports so the CDK app does not load the AWS SDK clients.
export const ADMIN_FUNCTION_OUTPUT = 'AdminFunctionName';
