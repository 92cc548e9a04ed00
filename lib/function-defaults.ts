// What every CustomerSignal Lambda shares: runtime, size, logs, VPC placement, env and bundling.
import * as path from 'node:path';
import { Construct } from 'constructs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Network } from './network';

/** Folders under functions/ that hold a `handler.ts` exporting `handler`. */
export type FunctionName = 'ingest' | 'query' | 'aggregate' | 'maintenance';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Copied next to index.js: adapters/postgres/migrate.ts finds it as join(__dirname, 'migrations'). */
const MIGRATIONS_DIR = path.join('adapters', 'postgres', 'migrations');

export interface FunctionDefaultsProps {
  readonly network: Network;
  /** Connection settings every function gets (brokers, database, Redis, topic names). */
  readonly environment: Record<string, string>;
}

export interface AppFunctionOptions {
  readonly name: FunctionName;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 30 seconds (the HTTP API's own integration limit) */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
}

export class FunctionDefaults extends Construct {
  private readonly network: Network;
  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: FunctionDefaultsProps) {
    super(scope, id);
    this.network = props.network;
    this.environment = {
      POWERTOOLS_SERVICE_NAME: 'customersignal',
      POWERTOOLS_METRICS_NAMESPACE: 'CustomerSignal',
      POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      LOG_LEVEL: 'INFO',
      // RDS Proxy pins a connection for every prepared statement; postgres.js must not prepare.
      DATABASE_PREPARE: 'false',
      // The maintenance schedule's period (schedules.ts): GET /v1/status trusts a caught-up check for 3 ticks.
      SCHEDULER_TICK: '1m',
      ...props.environment,
    };
  }

  /** A NodejsFunction for functions/<name>/handler.ts, created in `scope` with the shared settings. */
  create(scope: Construct, id: string, options: AppFunctionOptions): NodejsFunction {
    // An explicit log group: retention is ours, and it goes away with the function.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new NodejsFunction(scope, id, {
      description: options.description,
      entry: path.join(PROJECT_ROOT, 'functions', options.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_20_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: options.memorySize ?? 512,
      timeout: options.timeout ?? Duration.seconds(30),
      logGroup,
      vpc: this.network.vpc,
      vpcSubnets: this.network.appSubnets,
      environment: { ...this.environment, ...options.environment },
      bundling: {
        // Bundle with the project's own esbuild: no Docker needed (or present) to synth.
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: 'node20',
        minify: true,
        // NodejsFunction also sets NODE_OPTIONS=--enable-source-maps for this.
        sourceMap: true,
        sourcesContent: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            `cp -R "${path.join(inputDir, MIGRATIONS_DIR)}" "${path.join(outputDir, 'migrations')}"`,
          ],
        },
      },
    });
  }
}
