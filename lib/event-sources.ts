// Kafka → Lambda: the MSK event-source mapping that feeds the aggregate function.
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { KafkaNames } from './kafka-names';
import type { Streaming } from './streaming';

export interface EventSourcesProps {
  readonly streaming: Streaming;
  readonly aggregate: lambda.Function;
  readonly kafka: KafkaNames;
}

export class EventSources extends Construct {
  /**
   * Last resort only. The aggregate handler dead-letters bad records itself (events_dlq) and
   * infrastructure failures are retried without limit, so the partition waits rather than
   * skipping. Lambda sends a batch's offsets here only when it gives up on it: when the records
   * have aged out of the topic's retention.
   */
  readonly aggregateOnFailure: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventSourcesProps) {
    super(scope, id);
    const { streaming, aggregate, kafka } = props;

    this.aggregateOnFailure = new sqs.Queue(this, 'AggregateOnFailure', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    streaming.grantConsume(aggregate, kafka.topics.eventsRaw, kafka.groups.aggregate);
    aggregate.addEventSource(
      new ManagedKafkaEventSource({
        clusterArn: streaming.clusterArn,
        topic: kafka.topics.eventsRaw,
        // The same group the local runtime uses, so its IAM grant names it exactly.
        consumerGroupId: kafka.groups.aggregate,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // Batching window 500 ms: Lambda's default for Kafka sources, and only reachable by leaving
        // maxBatchingWindow unset, since CloudFormation takes whole seconds.
        onFailure: new SqsDlq(this.aggregateOnFailure),
      }),
    );
  }
}
