// Stage parameters (account, region, sizes): cdk.json's context "stages", picked by `-c stage=<name>`,
// each key overridable on the command line (`-c natGateways=2`). Read once, in bin/app.ts.
import type { Node } from 'constructs';

export interface StageConfig {
  /** Stage name; also the stack name suffix (CustomerSignal-<stage>). */
  readonly name: string;
  /** Omit both for an environment-agnostic stack (synth offline, deploy to the credentials' account/region). */
  readonly account?: string;
  readonly region?: string;
  /** NAT gateways for the webhook egress (one: single AZ of egress, ~32 USD/month each plus 0.045 USD/GB). */
  readonly natGateways: number;
  /**
   * Interface VPC endpoints, by service name (secretsmanager, sts, lambda, kafka, ...): ~7.3 USD/month
   * per AZ each; without them the traffic takes the NAT. email-smtp needs an explicit account/region
   * (it is not offered in every AZ; lib/network.ts).
   */
  readonly interfaceEndpoints: readonly string[];
  /** RDS instance type, e.g. t4g.small. */
  readonly dbInstanceType: string;
  readonly dbMultiAz: boolean;
  readonly dbAllocatedStorageGiB: number;
  readonly dbMaxAllocatedStorageGiB: number;
  readonly dbBackupRetentionDays: number;
  /** RDS Proxy in front of Postgres (~22 USD/month at the 2-vCPU minimum). Dev runs without. */
  readonly dbProxy: boolean;
  /** RDS deletion protection and RETAIN/SNAPSHOT of stateful resources when the stack goes. */
  readonly protectData: boolean;
  /**
   * Provisioned MSK with this broker type (e.g. kafka.m7g.large), one broker per AZ, IAM auth; unset =
   * MSK Serverless. See docs/operations.md#msk-serverless-for-production-provisioned-for-dev for the cost trade-off.
   */
  readonly mskBrokerType?: string;
  /** Provisioned MSK only, e.g. 3.9.x. */
  readonly mskKafkaVersion?: string;
  /** Provisioned MSK only: EBS GiB per broker. */
  readonly mskBrokerStorageGiB?: number;
  /** Partitions of events_raw and metric_updates (MSK Serverless: at most 120 per topic). */
  readonly eventsRawPartitions: number;
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Memory of the HTTP and scheduled functions; the aggregate function gets twice as much. */
  readonly lambdaMemoryMb: number;
  readonly logRetentionDays: number;
  /** Kafka event-source mappings. */
  readonly aggregateBatchSize: number;
  readonly alertBatchSize: number;
  readonly batchingWindowSeconds: number;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  /**
   * Deploy to LocalStack (cdklocal): provisioned MSK without auth instead of MSK Serverless with IAM,
   * a one-node ElastiCache cluster without TLS/users instead of a serverless cache. Never for AWS.
   */
  readonly localstack: boolean;
  /** Sender address of alert emails (an SES-verified identity); SES SMTP credentials are created only when set. */
  readonly emailFrom?: string;
  /**
   * The dashboard's public origin (https://app.example.com): the base of invite and password-reset links (APP_URL).
   * Set it for any stage people sign in to; without it the links name http://localhost:3000.
   */
  readonly appUrl?: string;
  /**
   * An Amazon Cognito user pool with an app client (authorization code flow, secret, openid email profile) as an
   * OpenID Connect issuer for single sign-on: its issuer and client id are stack outputs to put into PUT /v1/sso
   * (docs/aws.md#single-sign-on-with-amazon-cognito).
   */
  readonly cognito: boolean;
}

const DEFAULTS: Omit<StageConfig, 'name'> = {
  natGateways: 1,
  interfaceEndpoints: [],
  dbInstanceType: 't4g.small',
  dbMultiAz: false,
  dbAllocatedStorageGiB: 20,
  dbMaxAllocatedStorageGiB: 100,
  dbBackupRetentionDays: 7,
  dbProxy: true,
  protectData: false,
  eventsRawPartitions: 6,
  apiRateLimit: 200,
  apiBurstLimit: 400,
  lambdaMemoryMb: 512,
  logRetentionDays: 30,
  aggregateBatchSize: 500,
  alertBatchSize: 100,
  batchingWindowSeconds: 1,
  localstack: false,
  cognito: false,
};

const NUMBER_KEYS = [
  'natGateways',
  'dbAllocatedStorageGiB',
  'dbMaxAllocatedStorageGiB',
  'dbBackupRetentionDays',
  'eventsRawPartitions',
  'apiRateLimit',
  'apiBurstLimit',
  'mskBrokerStorageGiB',
  'lambdaMemoryMb',
  'logRetentionDays',
  'aggregateBatchSize',
  'alertBatchSize',
  'batchingWindowSeconds',
] as const;
const BOOLEAN_KEYS = ['dbMultiAz', 'protectData', 'localstack', 'dbProxy', 'cognito'] as const;
const STRING_KEYS = [
  'account',
  'region',
  'dbInstanceType',
  'alarmEmail',
  'emailFrom',
  'appUrl',
  'mskBrokerType',
  'mskKafkaVersion',
] as const;

/** Reads `stage` and `stages` from the context; command-line values (strings) win over cdk.json. */
export function stageFromContext(node: Node): StageConfig {
  const name = String(node.tryGetContext('stage') ?? 'dev');
  const stages = (node.tryGetContext('stages') ?? {}) as Record<string, Partial<StageConfig>>;
  if (!(name in stages) && name !== 'dev') {
    throw new Error(
      `Unknown stage "${name}": add it under context.stages in cdk.json (known: ${Object.keys(stages).join(', ') || 'none'})`,
    );
  }
  const merged: Record<string, unknown> = { ...DEFAULTS, ...stages[name], name };
  for (const key of [...NUMBER_KEYS, ...BOOLEAN_KEYS, ...STRING_KEYS, 'interfaceEndpoints']) {
    const raw: unknown = node.tryGetContext(key);
    if (raw !== undefined) merged[key] = raw;
  }
  for (const key of NUMBER_KEYS) {
    if (merged[key] === undefined) continue;
    const n = Number(merged[key]);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`Stage ${name}: ${key} must be a non-negative number, got ${JSON.stringify(merged[key])}`);
    merged[key] = n;
  }
  for (const key of BOOLEAN_KEYS) merged[key] = merged[key] === true || merged[key] === 'true';
  if (typeof merged.interfaceEndpoints === 'string')
    merged.interfaceEndpoints = merged.interfaceEndpoints.split(',').filter(Boolean);
  const stage = merged as unknown as StageConfig;
  if ((stage.account === undefined) !== (stage.region === undefined)) {
    throw new Error(`Stage ${name}: set both account and region, or neither`);
  }
  if (stage.account !== undefined && !/^\d{12}$/.test(stage.account))
    throw new Error(`Stage ${name}: account must be 12 digits`);
  return stage;
}

export function defaultStage(): StageConfig {
  return { ...DEFAULTS, name: 'dev' };
}
