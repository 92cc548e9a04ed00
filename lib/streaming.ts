// MSK Serverless: the Kafka log between ingest and aggregate, with IAM client auth.
import { Construct } from 'constructs';
import { ArnFormat, CustomResource, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { KAFKA_MAX_MESSAGE_BYTES } from '../adapters/kafka/limits';
import type { TopicSpec } from '../adapters/kafka/topics';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Network } from './network';

/** Who may talk to the cluster: something with a role and a security group (a Lambda function). */
export type KafkaClient = iam.IGrantable & ec2.IConnectable;

export interface StreamingProps {
  readonly network: Network;
  /**
   * LocalStack: a small provisioned cluster without client auth (LocalStack runs a real Kafka broker
   * for it and does not emulate MSK Serverless or IAM SASL). Never for AWS.
   */
  readonly localstack?: boolean;
  /**
   * Provisioned MSK with this broker type (one broker per app subnet, IAM auth, TLS) instead of MSK
   * Serverless. @default undefined (Serverless)
   */
  readonly brokerType?: string;
  /** Provisioned only. @default '3.9.x' */
  readonly kafkaVersion?: string;
  /** Provisioned only: EBS per broker. @default 100 */
  readonly brokerStorageGiB?: number;
  /** Provisioned only: broker logs. */
  readonly logRetention?: logs.RetentionDays;
  /** Keep the cluster (and its topics' data) when the stack goes. @default false */
  readonly protectData?: boolean;
}

export interface TopicsResourceProps {
  readonly topics: readonly string[];
  /** What the handler will create (from the same topicSpecs() it runs); a change triggers an update. */
  readonly specs: readonly TopicSpec[];
  readonly providerLogGroup: logs.ILogGroup;
}

/**
 * MSK Serverless with IAM client auth, and its topics (events_raw, metric_updates, events_dlq with their
 * partitions and retention), created by a custom resource that runs the same ensureTopics() as
 * `customersignal topics` (functions/migrate/topics-handler.ts).
 *
 * Why Serverless: no broker sizing, patching or storage to manage, pay per partition-hour and GB, IAM
 * auth only (no SCRAM secrets to rotate), and the Lambda event-source mappings work with it the same
 * way. Its limits (120 partitions per topic, 200 MB/s in, 7-day default retention that we raise per
 * topic) are far above this product's first years; provisioned MSK is the move when sustained
 * throughput makes per-broker pricing cheaper, and only this construct changes then.
 */
export class Streaming extends Construct implements ec2.IConnectable {
  /** SASL/IAM listener (MSK Serverless has no other; provisioned clusters use the same port for IAM). */
  static readonly IAM_PORT = 9098;
  /** MSK Serverless: the largest topic max.message.bytes it accepts (8 MiB). */
  static readonly SERVERLESS_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

  readonly clusterArn: string;
  readonly connections: ec2.Connections;
  readonly localstack: boolean;
  /** Provisioned clusters: broker ids 1..n (topic metrics are per broker there). Serverless: undefined. */
  readonly brokerIds?: number[];
  /** Set by addTopics(): the custom resource later deploy steps (event sources) wait for. */
  topics?: CustomResource;
  readonly clusterName: string;

  constructor(scope: Construct, id: string, props: StreamingProps) {
    super(scope, id);
    const { vpc, appSubnets } = props.network;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'MSK Serverless brokers',
    });
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(Streaming.IAM_PORT),
    });
    // The Lambda event-source pollers join the cluster through its own security group.
    securityGroup.addIngressRule(securityGroup, ec2.Port.tcp(Streaming.IAM_PORT), 'MSK event-source pollers');

    this.clusterName = `${Stack.of(this).stackName}-events`.toLowerCase();
    this.localstack = props.localstack ?? false;
    const subnetIds = vpc.selectSubnets(appSubnets).subnetIds;
    let cluster: msk.CfnCluster | msk.CfnServerlessCluster;
    if (this.localstack || props.brokerType) {
      const brokerLogs = this.localstack
        ? undefined
        : new logs.LogGroup(this, 'BrokerLogs', {
            retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
            removalPolicy: RemovalPolicy.DESTROY,
          });
      this.brokerIds = subnetIds.map((_, i) => i + 1);
      // The broker default (~1 MB) is below what the producer sends and the topics accept
      // (adapters/kafka/limits.ts): raise the record-batch limit, and the replica fetch size with it
      // so followers can copy the largest batch. (MSK Serverless: no broker settings; topics accept up to 8 MiB.)
      const configuration = new msk.CfnConfiguration(this, 'Configuration', {
        name: `${this.clusterName}-config`,
        description: 'CustomerSignal broker settings sized with adapters/kafka/limits.ts',
        kafkaVersionsList: [props.kafkaVersion ?? '3.9.x'],
        serverProperties: [
          `message.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`,
          `replica.fetch.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`,
          'auto.create.topics.enable=false',
        ].join('\n'),
      });
      cluster = new msk.CfnCluster(this, 'Cluster', {
        clusterName: this.clusterName,
        kafkaVersion: props.kafkaVersion ?? '3.9.x',
        numberOfBrokerNodes: subnetIds.length,
        // Topic-level CloudWatch metrics (events_dlq growth, ops.ts) exist only at this level on provisioned MSK.
        enhancedMonitoring: 'PER_TOPIC_PER_BROKER',
        configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
        brokerNodeGroupInfo: {
          clientSubnets: subnetIds,
          instanceType: props.brokerType ?? 'kafka.t3.small',
          securityGroups: [securityGroup.securityGroupId],
          storageInfo: { ebsStorageInfo: { volumeSize: props.brokerStorageGiB ?? 100 } },
        },
        // LocalStack emulates neither IAM SASL nor TLS listeners; AWS: IAM only, TLS everywhere, encrypted EBS.
        ...(this.localstack
          ? {
              clientAuthentication: { unauthenticated: { enabled: true } },
              encryptionInfo: { encryptionInTransit: { clientBroker: 'PLAINTEXT', inCluster: false } },
            }
          : {
              clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
              encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
              loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs!.logGroupName } } },
            }),
      });
    } else {
      // MSK Serverless caps the topic-level max.message.bytes at 8 MiB (docs/aws.md, Kafka message size).
      if (KAFKA_MAX_MESSAGE_BYTES > Streaming.SERVERLESS_MAX_MESSAGE_BYTES) {
        throw new Error(
          `KAFKA_MAX_MESSAGE_BYTES=${KAFKA_MAX_MESSAGE_BYTES} exceeds MSK Serverless's maximum of ${Streaming.SERVERLESS_MAX_MESSAGE_BYTES}: lower it or use provisioned MSK (mskBrokerType)`,
        );
      }
      cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
        clusterName: this.clusterName,
        // MSK Serverless encrypts at rest (AWS-owned key) and in transit (TLS only) always.
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [
          {
            // Subnets with egress: the event-source pollers placed here must reach Lambda and STS.
            subnetIds,
            securityGroups: [securityGroup.securityGroupId],
          },
        ],
      });
    }
    this.clusterArn = cluster.attrArn;
    // The log itself: retained with the stage's data (protectData), deleted otherwise.
    cluster.applyRemovalPolicy(props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
  }

  /** Environment a function needs to reach the cluster (brokers resolved at cold start by adapters/aws/resolve.ts). */
  get environment(): Record<string, string> {
    return { KAFKA_MSK_CLUSTER_ARN: this.clusterArn, KAFKA_AUTH: this.localstack ? 'none' : 'aws-iam' };
  }

  /** GetBootstrapBrokers on the cluster (adapters/aws/resolve.ts) and a network path to it. */
  grantConnect(client: KafkaClient): void {
    iam.Grant.addToPrincipal({
      grantee: client,
      actions: ['kafka:GetBootstrapBrokers'],
      resourceArns: [this.clusterArn],
    });
    this.allow(client, ['kafka-cluster:Connect'], [this.clusterArn]);
  }

  /** The topics custom resource, run by `fn` (a function with the streaming environment). */
  addTopics(fn: lambda.Function, specs: TopicsResourceProps): CustomResource {
    this.grantConnect(fn);
    const topicArns = specs.topics.map((t) => this.arnOf('topic', t));
    this.allow(
      fn,
      [
        'kafka-cluster:DescribeTopic',
        'kafka-cluster:CreateTopic',
        'kafka-cluster:DescribeTopicDynamicConfiguration',
        'kafka-cluster:AlterTopicDynamicConfiguration',
      ],
      topicArns,
    );
    const provider = new cr.Provider(this, 'TopicsProvider', { onEventHandler: fn, logGroup: specs.providerLogGroup });
    this.topics = new CustomResource(this, 'Topics', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KafkaTopics',
      // A change here (names, partitions, retention, message size) runs the handler again, which also raises an existing topic's max.message.bytes.
      properties: { Specs: JSON.stringify(specs.specs), MaxMessageBytes: String(KAFKA_MAX_MESSAGE_BYTES) },
    });
    this.topics.node.addDependency(this.node.findChild('Cluster'));
    return this.topics;
  }

  /** Idempotent produce (acks=all) to the given topics. */
  grantProduce(client: KafkaClient, topics: readonly string[]): void {
    this.allow(client, ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'], [this.clusterArn]);
    this.allow(
      client,
      ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      topics.map((t) => this.arnOf('topic', t)),
    );
  }

  /** What a Lambda MSK event source with IAM auth needs to read a topic as a consumer group. */
  grantConsume(client: KafkaClient, topic: string, group: string): void {
    this.allow(
      client,
      ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
      [this.clusterArn],
    );
    this.allow(client, ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], [this.arnOf('topic', topic)]);
    this.allow(client, ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], [this.arnOf('group', group)]);
  }

  /** Metadata only (the readiness check lists topics). */
  grantDescribe(client: KafkaClient, topics: readonly string[]): void {
    this.allow(client, ['kafka-cluster:Connect'], [this.clusterArn]);
    this.allow(
      client,
      ['kafka-cluster:DescribeTopic'],
      topics.map((t) => this.arnOf('topic', t)),
    );
  }

  /** Watermarks and a group's committed offsets (the maintenance check's consumer lag and caught_up_through). */
  grantDescribeGroup(client: KafkaClient, topic: string, group: string): void {
    this.allow(client, ['kafka-cluster:Connect'], [this.clusterArn]);
    this.allow(client, ['kafka-cluster:DescribeTopic'], [this.arnOf('topic', topic)]);
    this.allow(client, ['kafka-cluster:DescribeGroup'], [this.arnOf('group', group)]);
  }

  private allow(client: iam.IGrantable & ec2.IConnectable, actions: string[], resources: string[]): void {
    iam.Grant.addToPrincipal({ grantee: client, actions, resourceArns: resources });
    // From the client's side: the rule lives in the client's stack, never in this (stateful) one.
    client.connections.allowToDefaultPort(this);
  }

  /** arn:…:kafka:…:topic|group/<cluster name>/<cluster uuid>/<name>, the uuid cut from the cluster ARN. */
  private arnOf(kind: 'topic' | 'group', name: string): string {
    const clusterUuid = Fn.select(2, Fn.split('/', this.clusterArn));
    return Stack.of(this).formatArn({
      service: 'kafka',
      resource: kind,
      resourceName: `${this.clusterName}/${clusterUuid}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
