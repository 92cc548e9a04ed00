// The one structured logger. Never log keys, secrets or event properties.
//
// Each invocation (an HTTP request, a consumer batch, a scheduled run) logs with its own keys: they live in an
// AsyncLocalStorage context, never on the shared Powertools instance, so invocations running at once in one process
// (the local runtime) cannot lend each other a request id, route or tenant.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { config } from './config';

export type LogKeys = Record<string, unknown>;
type Level = 'debug' | 'info' | 'warn' | 'error' | 'critical';
type LogArgs = Parameters<Logger['info']>;
type Extra = LogArgs extends [unknown, ...infer E] ? E : never;

/** Powertools' logger, with its cold-start flag readable (true for the first invocation of an on-demand Lambda). */
class PowertoolsLogger extends Logger {
  takeColdStart(): boolean {
    return this.getColdStart();
  }
}

/** The Powertools instance under `logger`, for its settings only (tests): log through `logger`. */
export const powertoolsLogger = new PowertoolsLogger({ serviceName: 'customersignal', logLevel: config().logLevel });

const invocation = new AsyncLocalStorage<LogKeys>();

function at(level: Level, inContext: boolean) {
  return (...[input, ...extra]: LogArgs): void => {
    const keys = inContext ? invocation.getStore() : undefined;
    // The keys come first, so what a line states itself wins over them.
    if (keys === undefined) powertoolsLogger[level](input, ...extra);
    else powertoolsLogger[level](input, ...([keys, ...extra] as Extra));
  };
}

function levels(inContext: boolean) {
  return {
    debug: at('debug', inContext),
    info: at('info', inContext),
    warn: at('warn', inContext),
    error: at('error', inContext),
    critical: at('critical', inContext),
    getLevelName: () => powertoolsLogger.getLevelName(),
  };
}

/** Logs with the keys of the current invocation (see withLogContext), or with none outside one. */
export const logger = levels(true);

/**
 * Logs without any invocation's keys: for lines about the process's long-lived connections (a Kafka client's
 * socket belongs to whichever request or batch happened to open it, and outlives it).
 */
export const processLogger = levels(false);

/**
 * Runs `fn` as its own log context (one per invocation: a request, a consumer batch, a scheduled run): its lines
 * carry `keys` and those of the context it starts in, and what appendLogKeys adds inside it stays inside it.
 */
export function withLogContext<T>(keys: LogKeys, fn: () => T): T {
  return invocation.run({ ...invocation.getStore(), ...keys }, fn);
}

/** Adds keys to the lines of the current log context only; outside one there is no invocation to describe. */
export function appendLogKeys(keys: LogKeys): void {
  const current = invocation.getStore();
  if (current !== undefined) Object.assign(current, keys);
}

/** The keys Powertools writes for a Lambda invocation context (none for a context without a request id). */
export function lambdaContextKeys(context: Partial<Context> | undefined): LogKeys {
  if (!context?.awsRequestId) return {};
  return {
    cold_start: powertoolsLogger.takeColdStart(),
    function_arn: context.invokedFunctionArn,
    function_memory_size: context.memoryLimitInMB,
    function_name: context.functionName,
    function_request_id: context.awsRequestId,
  };
}
