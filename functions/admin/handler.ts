// The admin function: the operator commands of functions/admin/commands.ts on a deployed stack, invoked with IAM
// (lambda:Invoke) by `customersignal --aws <stack> ...`. No HTTP route reaches it. The payload is one command
// ({"command": "tenant create", "slug": "acme"}); the answer is {ok: true, data, text} or {ok: false, error}.
// A created API key is in the answer only (synchronous invocation responses are not stored anywhere): never logged.
import { config } from '../../adapters/config';
import { createOperatorStores, type OperatorStores } from '../../adapters/postgres/operator-stores';
import { logger } from '../../adapters/logger';
import { lazyHandler } from '../process-adapters';
import { CliError, parseAdminCommand, runAdminCommand, type AdminSettings } from './commands';

export type AdminResponse = { ok: true; data: unknown; text: string } | { ok: false; error: string };

export interface AdminDeps extends OperatorStores {
  settings: AdminSettings;
}

export function createAdminHandler(deps: AdminDeps) {
  return async (event: unknown): Promise<AdminResponse> => {
    try {
      const command = parseAdminCommand(event);
      const result = await runAdminCommand(deps, deps.settings, command);
      // The command's name only: arguments may be names the operator considers private, and results may hold a key.
      logger.info('admin command', { command: command.command });
      return { ok: true, data: result.data, text: result.text };
    } catch (e) {
      if (e instanceof CliError) return { ok: false, error: e.message };
      // Anything else is a fault (database unreachable, ...): Lambda reports it as a function error, and it is logged.
      throw e;
    }
  };
}

export const handler = lazyHandler(() =>
  createAdminHandler({ ...createOperatorStores(config().database), settings: adminSettings() }),
);

/** The commands' view of the configuration (shared with the local CLI). */
export const adminSettings = (): AdminSettings => ({
  retentionMs: config().limits.retentionMs,
  appUrl: config().accounts.appUrl,
  inviteTtlMs: config().accounts.inviteTtlMs,
  now: Date.now,
});
