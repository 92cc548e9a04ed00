// Lambda entry points share one set of adapters per process (created on first use, reused across invocations).
import { config } from '../adapters/config';
import { createAdapters, type Adapters } from '../adapters';

let adapters: Adapters | undefined;

export function processAdapters(): Adapters {
  adapters ??= createAdapters(config());
  return adapters;
}

/** Defers building a handler until its first invocation, so importing a module never connects anywhere. */
export function lazyHandler<E, C, R>(make: () => (event: E, context: C) => Promise<R>) {
  let built: ((event: E, context: C) => Promise<R>) | undefined;
  return (event: E, context: C): Promise<R> => (built ??= make())(event, context);
}
