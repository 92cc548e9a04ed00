// The stateful half of a stage: the VPC, Kafka (MSK and its topics), Postgres (and the schema the
// migrations custom resource applies), the cache and the SES credentials. The stateless stack
// (customersignal-stack.ts: functions, API, dashboard, schedules, alarms) reads from it, so a
// stateless change never replaces or deletes data; deploying `--all` deploys this stack first, so a
// new migration is applied before the code that needs it.
import { Construct } from 'constructs';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { parseConfig } from '../adapters/config';
import { topicSpecs } from '../adapters';
import { Email } from './email';
import { FunctionDefaults } from './function-defaults';
import { defaultKafkaNames, kafkaNamesEnvironment, type KafkaNames } from './kafka-names';
import { Migrations } from './migrations';
import { Network } from './network';
import { defaultStage, type StageConfig } from './stage';
import { Storage } from './storage';
import { Streaming } from './streaming';
import { SsoSecretKey } from './sso';

export interface StatefulStackProps extends StackProps {
  /** @default the dev defaults of lib/stage.ts */
  readonly stage?: StageConfig;
}

export class StatefulStack extends Stack {
  readonly stage: StageConfig;
  readonly kafka: KafkaNames;
  readonly network: Network;
  readonly streaming: Streaming;
  readonly storage: Storage;
  readonly email?: Email;
  /** Seals tenants' OIDC client secrets (SSO_SECRET_KEY_ARN of the query function). */
  readonly ssoSecretKey: SsoSecretKey;
  /** Settings every function gets (topic names, partitions, batch size). */
  readonly sharedEnvironment: Record<string, string>;
  /** Runs the topics custom resource (functions/migrate/topics-handler.ts). */
  readonly topicsFunction: NodejsFunction;
  readonly migrations: Migrations;

  constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    super(scope, id, props);
    const stage = (this.stage = props.stage ?? defaultStage());
    const kafka = (this.kafka = defaultKafkaNames());
    const logRetention = stage.logRetentionDays as logs.RetentionDays;

    this.network = new Network(this, 'Network', {
      natGateways: stage.natGateways,
      interfaceEndpoints: stage.interfaceEndpoints,
      logRetention,
    });
    this.streaming = new Streaming(this, 'Streaming', {
      network: this.network,
      localstack: stage.localstack,
      brokerType: stage.mskBrokerType,
      kafkaVersion: stage.mskKafkaVersion,
      brokerStorageGiB: stage.mskBrokerStorageGiB,
      logRetention,
      protectData: stage.protectData,
    });
    this.storage = new Storage(this, 'Storage', {
      network: this.network,
      databaseInstanceType: new ec2.InstanceType(stage.dbInstanceType),
      multiAz: stage.dbMultiAz,
      allocatedStorageGiB: stage.dbAllocatedStorageGiB,
      maxAllocatedStorageGiB: stage.dbMaxAllocatedStorageGiB,
      backupRetentionDays: stage.dbBackupRetentionDays,
      protectData: stage.protectData,
      localstack: stage.localstack,
      proxy: stage.dbProxy,
    });
    if (stage.emailFrom) this.email = new Email(this, 'Email', { from: stage.emailFrom });
    this.ssoSecretKey = new SsoSecretKey(this, 'SsoSecretKey', { protectData: stage.protectData });

    this.sharedEnvironment = {
      ...kafkaNamesEnvironment(kafka),
      KAFKA_EVENTS_RAW_PARTITIONS: String(stage.eventsRawPartitions),
      AGGREGATE_BATCH_SIZE: String(stage.aggregateBatchSize),
      ...(stage.appUrl && { APP_URL: stage.appUrl }),
    };
    const functionDefaults = this.functionDefaults(this, 'FunctionDefaults', {
      postgres: this.storage.migrationsEnvironment,
    });

    // Custom resources: the CDK provider framework's own log group, shared by both providers.
    const providerLogs = new logs.LogGroup(this, 'CustomResourceLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const topicsFunction = (this.topicsFunction = functionDefaults.create(this, 'TopicsFunction', {
      entry: 'migrate/topics-handler',
      description: 'Custom resource: create the Kafka topics with their partitions and retention',
      timeout: Duration.minutes(5),
      connects: ['kafka'],
    }));
    const specs = topicSpecs(parseConfig({ ...this.sharedEnvironment }));
    this.streaming.addTopics(topicsFunction, {
      topics: specs.map((s) => s.topic),
      specs,
      providerLogGroup: providerLogs,
    });
    this.migrations = new Migrations(this, 'Migrations', {
      defaults: functionDefaults,
      storage: this.storage,
      providerLogGroup: providerLogs,
    });
  }

  /**
   * The shared Lambda settings with this stage's connections. `postgres` overrides the database env
   * (the migrations function signs in as the master user; every other function as the app role).
   */
  functionDefaults(
    scope: Construct,
    id: string,
    overrides: { postgres?: Record<string, string> } = {},
  ): FunctionDefaults {
    return new FunctionDefaults(scope, id, {
      network: this.network,
      environment: this.sharedEnvironment,
      connections: {
        kafka: this.streaming.environment,
        postgres: overrides.postgres ?? this.storage.postgresEnvironment,
        redis: this.storage.redisEnvironment,
        ...(this.email && { smtp: this.email.environment }),
      },
      memorySize: this.stage.lambdaMemoryMb,
      logRetention: this.stage.logRetentionDays as logs.RetentionDays,
    });
  }
}
