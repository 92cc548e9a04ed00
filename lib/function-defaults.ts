// What every CustomerSignal Lambda shares: runtime, architecture, memory, timeouts, Powertools env,
// log retention, VPC placement, connection env and bundling — in one place.
import * as path from 'node:path';
import { Construct } from 'constructs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Network } from './network';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * Lambda runs Node 22 (nodejs20.x is deprecated: function creation is blocked from 2027-02-01); the
 * bundle targets node22. Local development and CI stay on Node 20, which runs the same sources.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const BUNDLE_TARGET = 'node22';

/** The outside systems a function connects to; each adds its env (and the caller grants access). */
export type Connection = 'kafka' | 'postgres' | 'redis' | 'smtp';

/** Copied next to index.js for the migrations function: adapters/postgres/migrate.ts reads join(__dirname, 'migrations'). */
const MIGRATIONS_DIR = path.join('adapters', 'postgres', 'migrations');

export interface FunctionDefaultsProps {
  readonly network: Network;
  /** Settings every function gets (topic names, partitions, tick, ...), on top of the Powertools ones. */
  readonly environment: Record<string, string>;
  /** Env per connection (cluster ARN, database URL and secret ARN, ...). */
  readonly connections: Partial<Record<Connection, Record<string, string>>>;
  /** @default 512 */
  readonly memorySize?: number;
  readonly logRetention: logs.RetentionDays;
}

export interface AppFunctionOptions {
  /** functions/<entry>.ts, e.g. 'ingest/handler'. */
  readonly entry: string;
  /** Exported name. @default 'handler' */
  readonly handler?: string;
  readonly description: string;
  /** @default the stage's lambdaMemoryMb */
  readonly memorySize?: number;
  /** @default 30 seconds (the HTTP API's own integration limit) */
  readonly timeout?: Duration;
  /** @default ['kafka', 'postgres', 'redis'] (what createAdapters() opens) */
  readonly connects?: readonly Connection[];
  readonly environment?: Record<string, string>;
  /** Copy the SQL migrations into the bundle. */
  readonly withMigrations?: boolean;
}

export class FunctionDefaults extends Construct {
  static readonly APP_CONNECTIONS: readonly Connection[] = ['kafka', 'postgres', 'redis'];
  private readonly props: FunctionDefaultsProps;
  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: FunctionDefaultsProps) {
    super(scope, id);
    this.props = props;
    this.environment = {
      POWERTOOLS_SERVICE_NAME: 'customersignal',
      POWERTOOLS_METRICS_NAMESPACE: 'CustomerSignal',
      POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      LOG_LEVEL: 'INFO',
      // Powertools Tracer (when the handlers use it) records AWS SDK calls, not responses.
      POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      // The EventBridge schedules' period (schedules.ts): GET /v1/status trusts a caught-up check for 3 ticks.
      SCHEDULER_TICK: '1m',
      // Deployed webhooks never call loopback (nor private, link-local or metadata) addresses unless allow-listed.
      WEBHOOK_ALLOW_LOOPBACK: 'false',
      // A hosted deployment: people join by invite (POST /v1/invites); the first owner comes from the admin path.
      SIGNUP_MODE: 'invite-only',
      // People sign in with a password or SSO; the dashboard's API-key form is for local development only.
      KEY_SIGNIN: 'off',
      ...props.environment,
    };
  }

  /** A NodejsFunction for functions/<entry>.ts, created in `scope` with the shared settings. */
  create(scope: Construct, id: string, options: AppFunctionOptions): NodejsFunction {
    // An explicit log group: retention is ours, and it goes away with the function.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: this.props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const connectionEnv = Object.assign(
      {},
      ...(options.connects ?? FunctionDefaults.APP_CONNECTIONS).map((c) => {
        const env = this.props.connections[c];
        if (!env) throw new Error(`${id}: no environment for connection ${c}`);
        return env;
      }),
    ) as Record<string, string>;
    const copyMigrations = (inputDir: string, outputDir: string) =>
      options.withMigrations
        ? [`cp -R "${path.join(inputDir, MIGRATIONS_DIR)}" "${path.join(outputDir, 'migrations')}"`]
        : [];
    return new NodejsFunction(scope, id, {
      description: options.description,
      entry: path.join(PROJECT_ROOT, 'functions', `${options.entry}.ts`),
      handler: options.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: options.memorySize ?? this.props.memorySize ?? 512,
      timeout: options.timeout ?? Duration.seconds(30),
      logGroup,
      // X-Ray: Lambda samples and records each invocation; the ingest handler carries the trace id to
      // the consumers in the Kafka record headers (docs/aws.md, Tracing).
      tracing: lambda.Tracing.ACTIVE,
      vpc: this.props.network.vpc,
      vpcSubnets: this.props.network.appSubnets,
      environment: { ...this.environment, ...connectionEnv, ...options.environment },
      bundling: {
        // Bundle with the project's own esbuild: no Docker needed (or present) to synth.
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: BUNDLE_TARGET,
        minify: true,
        // The AWS SDK clients and the MSK IAM signer go into the bundle: the versions we tested, not
        // whatever the runtime ships.
        externalModules: [],
        // NodejsFunction also sets NODE_OPTIONS=--enable-source-maps for this.
        sourceMap: true,
        sourcesContent: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: copyMigrations,
        },
      },
    });
  }
}
