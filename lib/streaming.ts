// MSK Serverless: the Kafka log between ingest and aggregate, with IAM client auth.
import { Construct } from 'constructs';
import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Network } from './network';

/** Who may talk to the cluster: something with a role and a security group (a Lambda function). */
export type KafkaClient = iam.IGrantable & ec2.IConnectable;

export interface StreamingProps {
  readonly network: Network;
}

/**
 * The cluster only. Topics (events_raw, events_dlq, metric_updates with their partitions and
 * retention) are created by the `customersignal topics` command run against it, the same code
 * path as locally; a custom resource running that code at deploy time is planned and would
 * slot in here.
 */
export class Streaming extends Construct {
  /** SASL/IAM listener of MSK Serverless; it has no other. */
  static readonly IAM_PORT = 9098;

  readonly clusterArn: string;
  /** `host:port,...` for kafkajs; a deploy-time value (see the constructor). */
  readonly bootstrapBrokers: string;
  readonly connections: ec2.Connections;
  private readonly clusterName: string;

  constructor(scope: Construct, id: string, props: StreamingProps) {
    super(scope, id);
    const { vpc, appSubnets } = props.network;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'MSK Serverless brokers',
    });
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(Streaming.IAM_PORT) });
    // The Lambda event-source pollers join the cluster through its own security group.
    securityGroup.addIngressRule(securityGroup, ec2.Port.tcp(Streaming.IAM_PORT), 'MSK event-source pollers');

    this.clusterName = `${Stack.of(this).stackName}-events`.toLowerCase();
    const cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
      clusterName: this.clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [
        {
          // Subnets with egress: the event-source pollers placed here must reach Lambda and STS.
          subnetIds: vpc.selectSubnets(appSubnets).subnetIds,
          securityGroups: [securityGroup.securityGroupId],
        },
      ],
    });
    this.clusterArn = cluster.attrArn;

    // CloudFormation exposes no bootstrap-broker attribute for MSK Serverless, so one SDK call
    // at deploy time reads it. The string is fixed for the cluster's life, so reading it on
    // create and update is enough; the alternative (a context value filled in after a first
    // deploy) would make the first deploy unusable.
    const brokers = new cr.AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.clusterArn },
        physicalResourceId: cr.PhysicalResourceId.of(this.clusterArn),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.clusterArn] }),
      installLatestAwsSdk: false,
    });
    this.bootstrapBrokers = brokers.getResponseField('BootstrapBrokerStringSaslIam');
  }

  /** Idempotent produce (acks=all) to the given topics. */
  grantProduce(client: KafkaClient, topics: readonly string[]): void {
    this.allow(client, ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'], [this.clusterArn]);
    this.allow(client, ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'], topics.map((t) => this.arnOf('topic', t)));
  }

  /** What a Lambda MSK event source with IAM auth needs to read a topic as a consumer group. */
  grantConsume(client: KafkaClient, topic: string, group: string): void {
    this.allow(client, ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'], [this.clusterArn]);
    this.allow(client, ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], [this.arnOf('topic', topic)]);
    this.allow(client, ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], [this.arnOf('group', group)]);
  }

  /** Metadata only (the readiness check lists topics). */
  grantDescribe(client: KafkaClient, topics: readonly string[]): void {
    this.allow(client, ['kafka-cluster:Connect'], [this.clusterArn]);
    this.allow(client, ['kafka-cluster:DescribeTopic'], topics.map((t) => this.arnOf('topic', t)));
  }

  /** Watermarks and a group's committed offsets (the maintenance check's consumer lag and caught_up_through). */
  grantDescribeGroup(client: KafkaClient, topic: string, group: string): void {
    this.allow(client, ['kafka-cluster:Connect'], [this.clusterArn]);
    this.allow(client, ['kafka-cluster:DescribeTopic'], [this.arnOf('topic', topic)]);
    this.allow(client, ['kafka-cluster:DescribeGroup'], [this.arnOf('group', group)]);
  }

  private allow(client: KafkaClient, actions: string[], resources: string[]): void {
    iam.Grant.addToPrincipal({ grantee: client, actions, resourceArns: resources });
    this.connections.allowDefaultPortFrom(client);
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
