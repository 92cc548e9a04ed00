// What functions ask the Kafka cluster itself, behind a small port (kafkajs stays in adapters/kafka/): whether it
// answers (readiness), and where a consumer group stands on a topic (freshness).
import type { Kafka } from 'kafkajs';
import type { GroupReading } from '../../core/freshness';
import { consumerLag } from './consumer-lag';

export interface KafkaCluster {
  /** Resolves once a broker answered a metadata request. */
  ping(): Promise<void>;
  /** The clock, then the topic's watermarks, then the group's committed offsets (see consumerLag). */
  consumerLag(groupId: string, topic: string, now: () => number): Promise<GroupReading>;
}

export function createKafkaCluster(kafka: Kafka): KafkaCluster {
  return {
    async ping() {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    consumerLag: (groupId, topic, now) => consumerLag(kafka, groupId, topic, now),
  };
}
