// Hosts a Kafka-triggered function as Lambda's MSK event source would: batches in the MSK event shape,
// a partition's offset committed only after the function succeeded.
import { startConsumerGroup, type RunningConsumerGroup } from '../adapters/kafka/consumer-group';
import type { KafkaOptions } from '../adapters/kafka/client';
import { toMskEvent, type MskEvent } from '../core/msk-event';

export interface KafkaFunctionHost {
  groupId: string;
  topic: string;
  batchSize: number;
  handler: (event: MskEvent) => Promise<unknown>;
  bootstrapServers: string;
  /** How long a member that stopped heartbeating (a killed process) keeps its partitions (config.kafka). */
  sessionTimeoutMs?: number;
}

/** `kafka`: the connection settings (config.kafka); each batch logs in its own context (adapters/kafka/consumer-group.ts). */
export function hostKafkaFunction(kafka: KafkaOptions, host: KafkaFunctionHost): Promise<RunningConsumerGroup> {
  return startConsumerGroup(kafka, {
    groupId: host.groupId,
    topics: [host.topic],
    batchSize: host.batchSize,
    ...(host.sessionTimeoutMs !== undefined && { sessionTimeoutMs: host.sessionTimeoutMs }),
    onBatch: async (records) => {
      await host.handler(
        toMskEvent(records, { eventSourceArn: `local:${host.topic}`, bootstrapServers: host.bootstrapServers }),
      );
    },
  });
}
