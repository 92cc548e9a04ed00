// Lambda entry points share one set of adapters per process (created on first use, reused across invocations).
import type { Context } from 'aws-lambda';
import { config, loadConfig } from '../adapters/config';
import { createAdapters, type Adapters } from '../adapters';
import { lambdaContextKeys, withLogContext } from '../adapters/logger';

let adapters: Adapters | undefined;

export function processAdapters(): Adapters {
  adapters ??= createAdapters(config());
  return adapters;
}

/**
 * Defers building a handler until its first invocation, so importing a module never connects anywhere.
 * The first invocation also resolves the AWS parts of the configuration (secrets, MSK brokers), so
 * `processAdapters()` inside `make` finds them. Each invocation logs in its own context, with the
 * Lambda context's keys (function name, request id, cold start).
 */
export function lazyHandler<E, C, R>(make: () => (event: E, context: C) => Promise<R>) {
  let built: ((event: E, context: C) => Promise<R>) | undefined;
  return async (event: E, context: C): Promise<R> => {
    if (!built) {
      await loadConfig();
      built ??= make();
    }
    const run = built;
    return withLogContext(lambdaContextKeys(context as Partial<Context> | undefined), () => run(event, context));
  };
}
