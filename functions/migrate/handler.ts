// CloudFormation custom resource (through the CDK Provider framework): applies the SQL migrations on
// every deploy that changes them — the same migrate() as `customersignal migrate` — and sets the app
// role's password from its secret (DATABASE_APP_SECRET_ARN).
//
// On the first deploy the database (or RDS Proxy's target) may not accept connections yet for minutes
// after CloudFormation reports it created: every attempt that fails to connect is retried with
// exponential backoff until the function's own time is nearly spent.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { loadConfig, type Config } from '../../adapters/config';
import type { MigrationResult } from '../../adapters/postgres/migrate';
import { migrateDeployment } from '../../adapters/postgres/app-role';
import { logger } from '../../adapters/logger';
import { isConnectionFailure } from '../../core/failure-kind';

export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

export interface RetryOptions {
  /** Time left for retrying (ms), read before each wait. */
  remainingMs: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Kept free at the end for the last attempt and the response. @default 60 s */
  reserveMs?: number;
  /** @default 2 s */
  firstDelayMs?: number;
  /** @default 30 s */
  maxDelayMs?: number;
  /** [0, 1): jitter. @default Math.random */
  random?: () => number;
  /** Whether a failure is worth another attempt. @default every failure */
  retryable?: (e: unknown) => boolean;
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/**
 * Runs `attempt` until it succeeds, waiting 2 s, 4 s, 8 s, ... (capped, with jitter) between attempts,
 * as long as the next wait still leaves `reserveMs`; then rethrows the last error.
 */
export async function withBackoff<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const reserve = opts.reserveMs ?? 60_000;
  const first = opts.firstDelayMs ?? 2_000;
  const max = opts.maxDelayMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const retryable = opts.retryable ?? (() => true);
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      const base = Math.min(max, first * 2 ** (n - 1));
      const delay = Math.round(base / 2 + (base / 2) * random());
      if (!retryable(e) || opts.remainingMs() - delay < reserve) throw e;
      opts.onRetry?.(n, delay, e);
      await opts.sleep(delay);
    }
  }
}

/**
 * What the migrations wait out: connection failures (core/failure-kind.ts isConnectionFailure: the target is not
 * there yet) and errors without a code (Secrets Manager or DNS before the network is ready). SQL errors such as a
 * bad migration (42xxx) or a wrong password (28xxx) fail the deploy at once.
 */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || isConnectionFailure(e);
}

export interface MigrationsDeps {
  loadConfig: () => Promise<Config>;
  runMigrations: (cfg: Config) => Promise<MigrationResult>;
  sleep: (ms: number) => Promise<void>;
}

const defaultDeps: MigrationsDeps = {
  loadConfig,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  runMigrations: migrateDeployment,
};

export function createHandler(deps: MigrationsDeps = defaultDeps) {
  return async function migrationsHandler(
    event: CloudFormationCustomResourceEvent,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<CustomResourceResult> {
    const physicalResourceId = 'customersignal-migrations';
    // Deleting the stack must not touch the data (the database has its own removal policy).
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const cfg = await deps.loadConfig();
    const result = await withBackoff(() => deps.runMigrations(cfg), {
      remainingMs: () => context?.getRemainingTimeInMillis() ?? 0,
      sleep: deps.sleep,
      retryable: isConnectionError,
      onRetry: (attempt, delayMs, error) =>
        logger.warn('database not reachable yet; retrying the migrations', {
          attempt,
          delayMs,
          code: (error as { code?: string }).code ?? 'unknown',
        }),
    });
    logger.info('migrations', { applied: result.applied, alreadyApplied: result.alreadyApplied });
    return { PhysicalResourceId: physicalResourceId, Data: { Applied: result.applied.join(',') || '(none)' } };
  };
}

export const handler = createHandler();
