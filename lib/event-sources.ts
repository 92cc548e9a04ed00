// Kafka → Lambda: the MSK event-source mappings that feed aggregate (events_raw) and alert (metric_updates).
import { Construct, type IDependable } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { KafkaNames } from './kafka-names';
import type { Streaming } from './streaming';

export interface EventSourcesProps {
  readonly streaming: Streaming;
  readonly aggregate: lambda.Function;
  readonly alert: lambda.Function;
  readonly kafka: KafkaNames;
  readonly aggregateBatchSize: number;
  readonly alertBatchSize: number;
  /** Whole seconds (CloudFormation's unit); 0 = no wait. */
  readonly batchingWindowSeconds: number;
  /**
   * What must exist before the mappings start polling: the topics and the schema. Not needed when
   * they live in the stateful stack, which this stack depends on as a whole.
   */
  readonly after?: readonly IDependable[];
}

export class EventSources extends Construct {
  /**
   * Last resort only. The handlers dead-letter bad records themselves (events_dlq) and retry
   * infrastructure failures without limit, so a partition waits rather than skipping. Lambda sends
   * a batch's offsets here only when it gives up on it: when the records aged out of the topic's
   * retention while the partition was blocked. Alarmed on (ops.ts).
   */
  readonly aggregateOnFailure: sqs.Queue;
  readonly alertOnFailure: sqs.Queue;
  readonly aggregateSource: ManagedKafkaEventSource;
  readonly alertSource: ManagedKafkaEventSource;

  constructor(scope: Construct, id: string, props: EventSourcesProps) {
    super(scope, id);
    const { streaming, kafka } = props;
    const onFailureQueue = (queueId: string) =>
      new sqs.Queue(this, queueId, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
    this.aggregateOnFailure = onFailureQueue('AggregateOnFailure');
    this.alertOnFailure = onFailureQueue('AlertOnFailure');

    const source = (fn: lambda.Function, topic: string, group: string, batchSize: number, onFailure: sqs.Queue) => {
      streaming.grantConsume(fn, topic, group);
      const eventSource = new ManagedKafkaEventSource({
        clusterArn: streaming.clusterArn,
        topic,
        // The same group names the local runtime uses, so the IAM grants name them exactly.
        consumerGroupId: group,
        // From the oldest retained record: a new mapping (or a recreated one) misses nothing.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow: Duration.seconds(props.batchingWindowSeconds),
        onFailure: new SqsDlq(onFailure),
      });
      fn.addEventSource(eventSource);
      return eventSource;
    };
    this.aggregateSource = source(
      props.aggregate,
      kafka.topics.eventsRaw,
      kafka.groups.aggregate,
      props.aggregateBatchSize,
      this.aggregateOnFailure,
    );
    this.alertSource = source(
      props.alert,
      kafka.topics.metricUpdates,
      kafka.groups.alert,
      props.alertBatchSize,
      this.alertOnFailure,
    );

    // Mappings created before their topic exists fail to start; before the schema, every batch would fail.
    for (const fn of [props.aggregate, props.alert]) {
      for (const mapping of fn.node.children.filter((c) => c instanceof lambda.EventSourceMapping)) {
        for (const dep of props.after ?? []) mapping.node.addDependency(dep);
      }
    }
  }
}
