// `npm start -- --only <roles>`: which parts of the local runtime a process hosts. Processes with the aggregate
// role share the consumer group, so a second `npm start -- --only aggregate` adds a worker.
import type { RuntimeOptions } from './runtime';

export const ROLES = ['http', 'aggregate', 'alert', 'dispatch', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

export interface StartArgs {
  roles: Role[];
  /** True when --only was given: the process joins a platform another `npm start` runs. */
  only: boolean;
  demo: boolean;
}

export class StartArgsError extends Error {
  override name = 'StartArgsError';
}

export function parseStartArgs(argv: string[]): StartArgs {
  let only: string | undefined;
  let demo = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-demo') demo = false;
    else if (arg === '--only') {
      only = argv[++i];
      if (only === undefined || only.startsWith('--'))
        throw new StartArgsError(
          `--only needs roles, e.g. --only aggregate or --only http,scheduler (roles: ${ROLES.join(', ')})`,
        );
    } else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else throw new StartArgsError(`unknown option ${arg}; npm start [-- --no-demo] [-- --only ${ROLES.join(',')}]`);
  }
  if (only === undefined) return { roles: [...ROLES], only: false, demo };
  const names = only
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = names.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (names.length === 0 || unknown.length > 0) {
    throw new StartArgsError(
      `--only ${only}: ${unknown.length > 0 ? `unknown role ${unknown.join(', ')}` : 'no roles'}; roles are ${ROLES.join(', ')} (comma-separated)`,
    );
  }
  return { roles: ROLES.filter((r) => names.includes(r)), only: true, demo };
}

export function runtimeOptions(roles: Role[]): RuntimeOptions {
  return {
    http: roles.includes('http'),
    consumers: roles.includes('aggregate'),
    alerts: roles.includes('alert'),
    dispatch: roles.includes('dispatch'),
    scheduler: roles.includes('scheduler'),
  };
}
