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
  /**
   * How many child processes run the aggregate role (`--aggregate-processes N`), each a member of the consumer
   * group; 0 runs it in this process. Undefined: the default, defaultAggregateProcesses().
   */
  aggregateProcesses?: number;
}

/** Most a process may supervise: more members than events_raw has partitions would sit idle. */
export const MAX_AGGREGATE_PROCESSES = 16;

/**
 * The full platform gives the aggregate consumers a process of their own when the machine has a second core: one
 * event loop then no longer serves both the HTTP API and the group (docs/operations.md#roles-and-processes). An
 * `--only` process runs its roles itself unless told otherwise.
 */
export function defaultAggregateProcesses(args: StartArgs, cores: number): number {
  if (args.aggregateProcesses !== undefined) return args.aggregateProcesses;
  return !args.only && cores >= 2 ? 1 : 0;
}

export class StartArgsError extends Error {
  override name = 'StartArgsError';
}

export function parseStartArgs(argv: string[]): StartArgs {
  let only: string | undefined;
  let demo = true;
  let processes: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-demo') demo = false;
    else if (arg === '--aggregate-processes') processes = argv[++i] ?? '';
    else if (arg.startsWith('--aggregate-processes=')) processes = arg.slice('--aggregate-processes='.length);
    else if (arg === '--only') {
      only = argv[++i];
      if (only === undefined || only.startsWith('--'))
        throw new StartArgsError(
          `--only needs roles, e.g. --only aggregate or --only http,scheduler (roles: ${ROLES.join(', ')})`,
        );
    } else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else
      throw new StartArgsError(
        `unknown option ${arg}; npm start [-- --no-demo] [-- --only ${ROLES.join(',')}] [-- --aggregate-processes N]`,
      );
  }
  const aggregate = processes === undefined ? {} : { aggregateProcesses: parseProcesses(processes) };
  if (only === undefined) return { roles: [...ROLES], only: false, demo, ...aggregate };
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
  const roles = ROLES.filter((r) => names.includes(r));
  if (aggregate.aggregateProcesses && !roles.includes('aggregate'))
    throw new StartArgsError(
      `--aggregate-processes runs the aggregate role in child processes, but --only ${only} does not include it; add aggregate to --only`,
    );
  return { roles, only: true, demo, ...aggregate };
}

function parseProcesses(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) > MAX_AGGREGATE_PROCESSES)
    throw new StartArgsError(
      `--aggregate-processes ${text === '' ? '(nothing)' : /^[\x20-\x7e]*$/.test(text) ? text : JSON.stringify(text)}: give a whole number from 0 (the aggregate role runs in this process) to ${MAX_AGGREGATE_PROCESSES}`,
    );
  return Number(text);
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
