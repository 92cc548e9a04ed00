// Operations: CloudWatch alarms (API 5xx, function errors and throttles, Kafka offset lag, DLQ growth,
// Postgres, RDS Proxy, the cache, MSK broker disks) to an encrypted SNS topic, and one dashboard.
// Thresholds and what to do when each fires: docs/aws.md.
import { Construct } from 'constructs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export interface OpsProps {
  readonly httpApi: apigw.HttpApi;
  /** Functions by display name. */
  readonly functions: Record<string, lambda.IFunction>;
  /** Kafka-triggered functions: their event-source mapping's OffsetLag is alarmed on. */
  readonly consumers: Record<string, lambda.IFunction>;
  readonly mskClusterName: string;
  /** Provisioned MSK publishes topic metrics per broker: summed over these. Serverless: omit. */
  readonly mskBrokerIds?: readonly number[];
  readonly dlqTopic: string;
  /** The event-source mappings' on-failure queues. */
  readonly onFailureQueues: Record<string, sqs.IQueue>;
  readonly alarmEmail?: string;
  /** Records behind before the lag alarm fires. @default 10000 */
  readonly maxOffsetLag?: number;
  /** The Postgres instance: CPU, connections, free storage. */
  readonly database?: {
    readonly instance: rds.DatabaseInstance;
    readonly allocatedStorageGiB: number;
    /** Connections before the alarm fires. @default 80 (t4g.small's max_connections is ~190) */
    readonly maxConnections?: number;
    /** RDS Proxy's name, when the stage has one. */
    readonly proxyName?: string;
  };
  /** ElastiCache Serverless cache name (the clusterId dimension); omit on LocalStack. */
  readonly cacheName?: string;
  /** Keep the alarm topic's KMS key when the stack goes. @default false */
  readonly protectData?: boolean;
}

export class Ops extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OpsProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    // CloudWatch can publish to an encrypted topic only with a customer-managed key that lets it.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'CustomerSignal alarm topic',
      // Encrypts alarm notifications in flight only: nothing to keep. Deletion is scheduled (7 days).
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'CustomerSignal alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new actions.SnsAction(this.topic);

    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
      below = false,
    ) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: below
          ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
          : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // A missing data point from a below-threshold metric (availability, free space) is itself suspect.
        treatMissingData: below ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    const api5xx = props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' });
    alarm(
      'Api5xx',
      api5xx,
      5,
      'HTTP API answered 5xx at least 5 times in 5 minutes (a bug, or Kafka/Postgres/Redis unavailable: 503)',
    );

    const errorMetrics: cloudwatch.IMetric[] = [];
    const throttleMetrics: cloudwatch.IMetric[] = [];
    for (const [name, fn] of Object.entries(props.functions)) {
      const errors = fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' });
      // Labels only on the graphs: a labelled metric would make the alarm a metric-math one.
      errorMetrics.push(errors.with({ label: name }));
      throttleMetrics.push(throttles.with({ label: name }));
      alarm(
        `${name}Errors`,
        errors,
        1,
        `${name} function failed (an invocation error; Kafka batches are retried, the partition waits)`,
      );
      alarm(`${name}Throttles`, throttles, 1, `${name} function was throttled (account or reserved concurrency)`);
    }

    const lagMetrics: cloudwatch.IMetric[] = [];
    for (const [name, fn] of Object.entries(props.consumers)) {
      // Published by Lambda for Kafka event-source mappings: records between the topic's end and the group's offset.
      const lag = new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'OffsetLag',
        dimensionsMap: { FunctionName: fn.functionName },
        statistic: 'Maximum',
        period: fiveMinutes,
      });
      lagMetrics.push(lag.with({ label: `${name} offset lag` }));
      alarm(
        `${name}OffsetLag`,
        lag,
        props.maxOffsetLag ?? 10_000,
        `${name} is behind its topic by ${props.maxOffsetLag ?? 10_000}+ records for 15 minutes`,
        3,
      );
    }

    // Records dead-lettered by the handlers (docs/architecture.md#rule-3-offsets-move-only-after-the-effect): any growth of events_dlq needs a look (`customersignal dlq list`).
    const dlqMetric = (extra: Record<string, string>) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Kafka',
        metricName: 'MessagesInPerSec',
        dimensionsMap: { 'Cluster Name': props.mskClusterName, Topic: props.dlqTopic, ...extra },
        statistic: 'Sum',
        period: fiveMinutes,
      });
    const dlqIn: cloudwatch.IMetric = props.mskBrokerIds
      ? new cloudwatch.MathExpression({
          expression: props.mskBrokerIds.map((id) => `b${id}`).join(' + '),
          usingMetrics: Object.fromEntries(
            props.mskBrokerIds.map((id) => [`b${id}`, dlqMetric({ 'Broker ID': String(id) })]),
          ),
          period: fiveMinutes,
        })
      : dlqMetric({});
    alarm(
      'DlqGrowth',
      dlqIn,
      1,
      `${props.dlqTopic} received records: inspect with \`customersignal dlq list\`, redrive after a fix`,
    );
    const onFailureMetrics: cloudwatch.IMetric[] = [];
    for (const [name, queue] of Object.entries(props.onFailureQueues)) {
      const visible = queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' });
      onFailureMetrics.push(visible.with({ label: name }));
      alarm(
        `${name}OnFailure`,
        visible,
        1,
        `${name} event-source mapping gave up on a batch (records aged out while blocked): replay from the offsets in the message`,
      );
    }

    // --- Postgres: the truth. CPU and connections sustained for 15 minutes; free storage below 10%.
    const storeMetrics: cloudwatch.IMetric[] = [];
    if (props.database) {
      const { instance, allocatedStorageGiB } = props.database;
      const cpu = instance.metricCPUUtilization({ period: fiveMinutes, statistic: 'Average' });
      const connections = instance.metricDatabaseConnections({ period: fiveMinutes, statistic: 'Maximum' });
      const freeStorage = instance.metricFreeStorageSpace({ period: fiveMinutes, statistic: 'Minimum' });
      storeMetrics.push(cpu.with({ label: 'Postgres CPU %' }));
      alarm(
        'PostgresCpu',
        cpu,
        80,
        'Postgres CPU at 80%+ for 15 minutes: look at the slowest statements (Performance Insights off: pg_stat_statements) or size up dbInstanceType',
        3,
      );
      const maxConnections = props.database.maxConnections ?? 80;
      alarm(
        'PostgresConnections',
        connections,
        maxConnections,
        `Postgres has ${maxConnections}+ connections for 15 minutes: functions hold 2 each; check concurrency, the proxy, or raise the instance class`,
        3,
      );
      const tenPercentBytes = Math.round(allocatedStorageGiB * 0.1 * 1024 ** 3);
      alarm(
        'PostgresFreeStorage',
        freeStorage,
        tenPercentBytes,
        'Postgres free storage below 10% of the allocated size: storage autoscaling may be at its maximum (dbMaxAllocatedStorageGiB); check retention',
        1,
        true,
      );

      // --- RDS Proxy: the target answers (availability), and sessions are not pinned (prepare must be off).
      if (props.database.proxyName) {
        const proxyMetric = (metricName: string, statistic: string, extra: Record<string, string> = {}) =>
          new cloudwatch.Metric({
            namespace: 'AWS/RDS',
            metricName,
            dimensionsMap: { ProxyName: props.database!.proxyName!, ...extra },
            statistic,
            period: fiveMinutes,
          });
        alarm(
          'ProxyAvailability',
          proxyMetric('AvailabilityPercentage', 'Minimum', { TargetGroup: 'default', TargetRole: 'READ_WRITE' }),
          100,
          'RDS Proxy could not reach its Postgres target for part of 5 minutes: check the instance (failover, reboot, storage full)',
          1,
          true,
        );
        alarm(
          'ProxyPinnedSessions',
          proxyMetric('DatabaseConnectionsCurrentlySessionPinned', 'Maximum'),
          20,
          'RDS Proxy has 20+ pinned sessions for 15 minutes: a client prepares statements or sets session state (DATABASE_PREPARE must be false)',
          3,
        );
      }
    }

    // --- The cache (ElastiCache Serverless): throttled commands mean it is scaling or at its ECPU limit.
    if (props.cacheName) {
      const cacheMetric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ElastiCache',
          metricName,
          dimensionsMap: { clusterId: props.cacheName! },
          statistic,
          period: fiveMinutes,
        });
      alarm(
        'CacheThrottled',
        cacheMetric('ThrottledCmds', 'Sum'),
        1,
        'The cache throttled commands: reads fall back to Postgres (slower); check ECPU usage and key sizes',
      );
      // 1 GiB: the cache holds hot rollups only; past this it costs more than expected (docs/aws.md).
      alarm(
        'CacheSize',
        cacheMetric('BytesUsedForCache', 'Maximum'),
        1024 ** 3,
        'The cache holds 1 GiB+ of data: more than the hot rollups need; check key TTLs (cost grows per GB-hour)',
        3,
      );
      storeMetrics.push(cacheMetric('ECPUsConsumed', 'Sum').with({ label: 'Cache ECPUs' }));
    }

    // --- MSK broker disks (provisioned only; MSK Serverless manages its storage).
    if (props.mskBrokerIds) {
      for (const id of props.mskBrokerIds) {
        const disk = new cloudwatch.Metric({
          namespace: 'AWS/Kafka',
          metricName: 'KafkaDataLogsDiskUsed',
          dimensionsMap: { 'Cluster Name': props.mskClusterName, 'Broker ID': String(id) },
          statistic: 'Maximum',
          period: fiveMinutes,
        });
        storeMetrics.push(disk.with({ label: `Broker ${id} disk %` }));
        alarm(
          `MskBroker${id}Disk`,
          disk,
          80,
          `MSK broker ${id} data disk 80%+ full: raise mskBrokerStorageGiB (EBS grows online) or lower topic retention`,
        );
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'HTTP API requests and 5xx',
            left: [props.httpApi.metricCount({ period: Duration.minutes(1) })],
            right: [api5xx],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'HTTP API latency p99 (ms)',
            left: [props.httpApi.metricLatency({ statistic: 'p99', period: Duration.minutes(1) })],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Function errors', left: errorMetrics, width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Function throttles', left: throttleMetrics, width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Kafka offset lag (records)', left: lagMetrics, width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Dead letters', left: [dlqIn], right: onFailureMetrics, width: 12 }),
        ],
        [new cloudwatch.GraphWidget({ title: 'Stores', left: storeMetrics, width: 24 })],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
