// The whole deployment in one stack, composed from one construct per concern.
import * as path from 'node:path';
import { Construct } from 'constructs';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { parseConfig } from '../adapters/config';
import { topicSpecs } from '../adapters';
import { Admin } from './admin';
import { Api } from './api';
import { Email } from './email';
import { EventSources } from './event-sources';
import { FunctionDefaults, PROJECT_ROOT } from './function-defaults';
import { Functions } from './functions';
import { defaultKafkaNames, kafkaNamesEnvironment } from './kafka-names';
import { Migrations } from './migrations';
import { Network } from './network';
import { Ops } from './ops';
import { Schedules } from './schedules';
import { defaultStage, type StageConfig } from './stage';
import { Storage } from './storage';
import { Streaming } from './streaming';
import { Web } from './web';

export interface CustomerSignalStackProps extends StackProps {
  /** @default the dev defaults of lib/stage.ts */
  readonly stage?: StageConfig;
  /** @default frontend/dist of this repository */
  readonly webDistDir?: string;
}

export class CustomerSignalStack extends Stack {
  readonly stage: StageConfig;
  readonly network: Network;
  readonly streaming: Streaming;
  readonly storage: Storage;
  readonly email?: Email;
  readonly functions: Functions;
  readonly migrations: Migrations;
  /** Runs the topics custom resource (functions/migrate/topics-handler.ts). */
  readonly topicsFunction: NodejsFunction;
  readonly api: Api;
  readonly eventSources: EventSources;
  readonly schedules: Schedules;
  readonly web: Web;
  readonly ops: Ops;

  constructor(scope: Construct, id: string, props: CustomerSignalStackProps = {}) {
    super(scope, id, props);
    const stage = (this.stage = props.stage ?? defaultStage());
    const kafka = defaultKafkaNames();
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
    });
    if (stage.emailFrom) this.email = new Email(this, 'Email', { from: stage.emailFrom });

    // The runtime's config module (adapters/config.ts) reads these; secrets travel as ARNs and are
    // read at cold start (adapters/aws/resolve.ts), never copied into env.
    const sharedEnvironment = {
      ...kafkaNamesEnvironment(kafka),
      KAFKA_EVENTS_RAW_PARTITIONS: String(stage.eventsRawPartitions),
      AGGREGATE_BATCH_SIZE: String(stage.aggregateBatchSize),
    };
    const functionDefaults = new FunctionDefaults(this, 'FunctionDefaults', {
      network: this.network,
      environment: sharedEnvironment,
      connections: {
        kafka: this.streaming.environment,
        postgres: this.storage.postgresEnvironment,
        redis: this.storage.redisEnvironment,
        ...(this.email && { smtp: this.email.environment }),
      },
      memorySize: stage.lambdaMemoryMb,
      logRetention,
    });
    this.functions = new Functions(this, 'Functions', {
      defaults: functionDefaults,
      streaming: this.streaming,
      storage: this.storage,
      kafka,
      email: this.email,
      aggregateMemoryMb: stage.lambdaMemoryMb * 2,
    });

    // Custom resources: the CDK provider framework's own log group, shared by both providers.
    const providerLogs = new logs.LogGroup(this, 'CustomResourceLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const topicsFunction = (this.topicsFunction = functionDefaults.create(this, 'TopicsFunction', {
      entry: 'migrate/topics-handler',
      description: 'Custom resource: create the Kafka topics with their partitions and retention',
      timeout: Duration.minutes(5),
      connects: ['kafka'],
    }));
    const specs = topicSpecs(parseConfig({ ...sharedEnvironment }));
    this.streaming.addTopics(topicsFunction, { topics: specs.map((s) => s.topic), specs, providerLogGroup: providerLogs });
    this.migrations = new Migrations(this, 'Migrations', { defaults: functionDefaults, storage: this.storage, providerLogGroup: providerLogs });
    new Admin(this, 'Admin', { defaults: functionDefaults, storage: this.storage });

    this.api = new Api(this, 'Api', {
      handlers: { ingest: this.functions.ingest, query: this.functions.query },
      throttle: { rateLimit: stage.apiRateLimit, burstLimit: stage.apiBurstLimit },
      logRetention,
    });
    this.web = new Web(this, 'Web', {
      distDir: props.webDistDir ?? path.join(PROJECT_ROOT, 'frontend', 'dist'),
      apiDomainName: this.api.domainName,
      apiUrl: this.api.url,
    });
    this.eventSources = new EventSources(this, 'EventSources', {
      streaming: this.streaming,
      aggregate: this.functions.aggregate,
      alert: this.functions.alert,
      kafka,
      aggregateBatchSize: stage.aggregateBatchSize,
      alertBatchSize: stage.alertBatchSize,
      batchingWindowSeconds: stage.batchingWindowSeconds,
      after: [this.streaming.topics!, this.migrations.resource],
    });
    this.schedules = new Schedules(this, 'Schedules', {
      maintenance: this.functions.maintenance,
      alertTick: this.functions.alertTick,
      dispatch: this.functions.dispatch,
    });
    const f = this.functions;
    this.ops = new Ops(this, 'Ops', {
      httpApi: this.api.httpApi,
      functions: { Ingest: f.ingest, Query: f.query, Aggregate: f.aggregate, Alert: f.alert, AlertTick: f.alertTick, Dispatch: f.dispatch, Maintenance: f.maintenance },
      consumers: { Aggregate: f.aggregate, Alert: f.alert },
      mskClusterName: this.streaming.clusterName,
      mskBrokerIds: this.streaming.brokerIds,
      dlqTopic: kafka.topics.eventsDlq,
      onFailureQueues: { Aggregate: this.eventSources.aggregateOnFailure, Alert: this.eventSources.alertOnFailure },
      alarmEmail: stage.alarmEmail,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (also served under the dashboard URL at /v1)' });
    new CfnOutput(this, 'DashboardUrl', { value: this.web.url, description: 'The dashboard SPA (and the API on the same origin)' });
    new CfnOutput(this, 'KafkaClusterArn', { value: this.streaming.clusterArn, description: 'KAFKA_MSK_CLUSTER_ARN for the admin CLI against MSK' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.ops.topic.topicArn, description: 'Subscribe on-call here' });
  }
}
