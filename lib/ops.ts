// Operations: CloudWatch alarms (API 5xx, function errors and throttles, Kafka offset lag, DLQ growth)
// to an encrypted SNS topic, and one dashboard.
import { Construct } from 'constructs';
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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
}

export class Ops extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OpsProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    // CloudWatch can publish to an encrypted topic only with a customer-managed key that lets it.
    const key = new kms.Key(this, 'AlarmTopicKey', { enableKeyRotation: true, description: 'CustomerSignal alarm topic' });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'CustomerSignal alarms', masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new actions.SnsAction(this.topic);

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    const api5xx = props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' });
    alarm('Api5xx', api5xx, 5, 'HTTP API answered 5xx at least 5 times in 5 minutes (a bug, or Kafka/Postgres/Redis unavailable: 503)');

    const errorMetrics: cloudwatch.IMetric[] = [];
    const throttleMetrics: cloudwatch.IMetric[] = [];
    for (const [name, fn] of Object.entries(props.functions)) {
      const errors = fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' });
      // Labels only on the graphs: a labelled metric would make the alarm a metric-math one.
      errorMetrics.push(errors.with({ label: name }));
      throttleMetrics.push(throttles.with({ label: name }));
      alarm(`${name}Errors`, errors, 1, `${name} function failed (an invocation error; Kafka batches are retried, the partition waits)`);
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
      alarm(`${name}OffsetLag`, lag, props.maxOffsetLag ?? 10_000, `${name} is behind its topic by ${props.maxOffsetLag ?? 10_000}+ records for 15 minutes`, 3);
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
          usingMetrics: Object.fromEntries(props.mskBrokerIds.map((id) => [`b${id}`, dlqMetric({ 'Broker ID': String(id) })])),
          period: fiveMinutes,
        })
      : dlqMetric({});
    alarm('DlqGrowth', dlqIn, 1, `${props.dlqTopic} received records: inspect with \`customersignal dlq list\`, redrive after a fix`);
    const onFailureMetrics: cloudwatch.IMetric[] = [];
    for (const [name, queue] of Object.entries(props.onFailureQueues)) {
      const visible = queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' });
      onFailureMetrics.push(visible.with({ label: name }));
      alarm(`${name}OnFailure`, visible, 1, `${name} event-source mapping gave up on a batch (records aged out while blocked): replay from the offsets in the message`);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'HTTP API requests and 5xx', left: [props.httpApi.metricCount({ period: Duration.minutes(1) })], right: [api5xx], width: 12 }),
          new cloudwatch.GraphWidget({ title: 'HTTP API latency p99 (ms)', left: [props.httpApi.metricLatency({ statistic: 'p99', period: Duration.minutes(1) })], width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Function errors', left: errorMetrics, width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Function throttles', left: throttleMetrics, width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Kafka offset lag (records)', left: lagMetrics, width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Dead letters', left: [dlqIn], right: onFailureMetrics, width: 12 }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
