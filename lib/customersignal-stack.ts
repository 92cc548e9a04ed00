// The stateless half of a stage: functions, HTTP API, dashboard, event-source mappings, schedules and
// alarms, composed from one construct per concern. The stateful half (VPC, MSK, Postgres, cache,
// schema) is its own stack (stateful-stack.ts): replacing anything here never touches data.
import * as path from 'node:path';
import { Construct } from 'constructs';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Admin } from './admin';
import { Api } from './api';
import type { Email } from './email';
import { EventSources } from './event-sources';
import { PROJECT_ROOT } from './function-defaults';
import { Functions } from './functions';
import type { KafkaNames } from './kafka-names';
import type { Migrations } from './migrations';
import type { Network } from './network';
import { Ops } from './ops';
import { Schedules } from './schedules';
import { StatefulStack } from './stateful-stack';
import { defaultStage, type StageConfig } from './stage';
import type { Storage } from './storage';
import type { Streaming } from './streaming';
import { Web } from './web';
import { CognitoIssuer } from './sso';

export interface CustomerSignalStackProps extends StackProps {
  /** @default the dev defaults of lib/stage.ts */
  readonly stage?: StageConfig;
  /** @default frontend/dist of this repository */
  readonly webDistDir?: string;
  /** The stateful stack to run on. @default a new one, `<id>-data`, in the same scope and environment */
  readonly data?: StatefulStack;
}

export class CustomerSignalStack extends Stack {
  readonly stage: StageConfig;
  /** The stateful stack this one reads from (also reachable through the fields below). */
  readonly data: StatefulStack;
  readonly network: Network;
  readonly streaming: Streaming;
  readonly storage: Storage;
  readonly email?: Email;
  readonly kafka: KafkaNames;
  readonly functions: Functions;
  readonly admin: Admin;
  readonly migrations: Migrations;
  /** Runs the topics custom resource (functions/migrate/topics-handler.ts), in the stateful stack. */
  readonly topicsFunction: NodejsFunction;
  readonly api: Api;
  readonly eventSources: EventSources;
  readonly schedules: Schedules;
  readonly web: Web;
  readonly ops: Ops;
  /** The stage's Cognito user pool as an OIDC issuer (stage option `cognito`). */
  readonly cognito?: CognitoIssuer;

  constructor(scope: Construct, id: string, props: CustomerSignalStackProps = {}) {
    super(scope, id, props);
    const stage = (this.stage = props.stage ?? props.data?.stage ?? defaultStage());
    // Values from the stateful stack arrive as Fn::GetStackOutput (weak references, cdk.json) on AWS.
    // LocalStack's CloudFormation emulation may not know that newer intrinsic: classic exports (Fn::ImportValue) there.
    if (stage.localstack) this.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
    const data = (this.data =
      props.data ??
      new StatefulStack(scope, `${id}-data`, {
        description: `CustomerSignal (${stage.name}), stateful: VPC, MSK, Postgres, cache`,
        stage,
        ...(props.env && { env: props.env }),
      }));
    this.addDependency(data, 'the functions use the network, the stores and the schema');
    this.network = data.network;
    this.streaming = data.streaming;
    this.storage = data.storage;
    this.email = data.email;
    this.kafka = data.kafka;
    this.migrations = data.migrations;
    this.topicsFunction = data.topicsFunction;
    const kafka = this.kafka;
    const logRetention = stage.logRetentionDays;

    const functionDefaults = data.functionDefaults(this, 'FunctionDefaults');
    this.functions = new Functions(this, 'Functions', {
      defaults: functionDefaults,
      streaming: this.streaming,
      storage: this.storage,
      kafka,
      email: this.email,
      aggregateMemoryMb: stage.lambdaMemoryMb * 2,
    });

    this.admin = new Admin(this, 'Admin', { defaults: functionDefaults, storage: this.storage });

    this.api = new Api(this, 'Api', {
      handlers: { ingest: this.functions.ingest, query: this.functions.query },
      throttle: { rateLimit: stage.apiRateLimit, burstLimit: stage.apiBurstLimit },
      logRetention,
    });
    this.web = new Web(this, 'Web', {
      distDir: props.webDistDir ?? path.join(PROJECT_ROOT, 'frontend', 'dist'),
      apiDomainName: this.api.domainName,
      apiUrl: this.api.url,
      protectData: stage.protectData,
    });
    // APP_URL (invite, reset and SSO links; the SSO redirect URI): the stage's appUrl, else the dashboard's own
    // CloudFront origin. No cycle: the distribution depends on the HTTP API resource (its domain), not on the
    // functions behind the routes. The SSO key is read by the query function alone (config resolves it at cold start).
    const appUrl = stage.appUrl ?? this.web.url;
    // The functions that build links: the query function (invites, SSO), dispatch (reset mails) and admin (the
    // first owner's invite, `customersignal --aws <stack> owner invite`).
    if (!stage.appUrl)
      for (const fn of [this.functions.query, this.functions.dispatch, this.admin.function])
        fn.addEnvironment('APP_URL', appUrl);
    this.functions.query.addEnvironment('SSO_SECRET_KEY_ARN', data.ssoSecretKey.secret.secretArn);
    data.ssoSecretKey.secret.grantRead(this.functions.query);
    if (stage.cognito) this.cognito = new CognitoIssuer(this, 'Cognito', { appUrl, protectData: stage.protectData });
    this.eventSources = new EventSources(this, 'EventSources', {
      streaming: this.streaming,
      aggregate: this.functions.aggregate,
      alert: this.functions.alert,
      kafka,
      aggregateBatchSize: stage.aggregateBatchSize,
      alertBatchSize: stage.alertBatchSize,
      batchingWindowSeconds: stage.batchingWindowSeconds,
    });
    this.schedules = new Schedules(this, 'Schedules', {
      maintenance: this.functions.maintenance,
      alertTick: this.functions.alertTick,
      dispatch: this.functions.dispatch,
    });
    const f = this.functions;
    this.ops = new Ops(this, 'Ops', {
      httpApi: this.api.httpApi,
      functions: {
        Ingest: f.ingest,
        Query: f.query,
        Aggregate: f.aggregate,
        Alert: f.alert,
        AlertTick: f.alertTick,
        Dispatch: f.dispatch,
        Maintenance: f.maintenance,
      },
      consumers: { Aggregate: f.aggregate, Alert: f.alert },
      mskClusterName: this.streaming.clusterName,
      mskBrokerIds: this.streaming.brokerIds,
      dlqTopic: kafka.topics.eventsDlq,
      onFailureQueues: { Aggregate: this.eventSources.aggregateOnFailure, Alert: this.eventSources.alertOnFailure },
      alarmEmail: stage.alarmEmail,
      database: {
        instance: this.storage.database,
        allocatedStorageGiB: stage.dbAllocatedStorageGiB,
        ...(this.storage.proxy && { proxyName: this.storage.proxy.dbProxyName }),
      },
      cacheName: this.storage.cacheName,
      protectData: stage.protectData,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the HTTP API (also served under the dashboard URL at /v1)',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.web.url,
      description: 'The dashboard SPA (and the API on the same origin)',
    });
    new CfnOutput(this, 'KafkaClusterArn', {
      value: this.streaming.clusterArn,
      description: 'KAFKA_MSK_CLUSTER_ARN for the admin CLI against MSK',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.ops.topic.topicArn, description: 'Subscribe on-call here' });
  }
}
