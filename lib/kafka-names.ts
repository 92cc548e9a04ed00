// Topic and consumer-group names, taken from the runtime's own config defaults so AWS and local agree.
import { parseConfig, type Config } from '../adapters/config';

export type KafkaNames = Pick<Config['kafka'], 'topics'> & { groups: Config['kafka']['groups'] & { alert: string } };

/** The alert engine's consumer group on metric_updates (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written: group "alert"). */
export const ALERT_GROUP = 'alert';

export function defaultKafkaNames(): KafkaNames {
  const { topics, groups } = parseConfig({}).kafka;
  return { topics, groups: { ...groups, alert: ALERT_GROUP } };
}

/** The same names as the env vars adapters/config.ts reads. */
export function kafkaNamesEnvironment(names: KafkaNames): Record<string, string> {
  return {
    KAFKA_TOPIC_EVENTS_RAW: names.topics.eventsRaw,
    KAFKA_TOPIC_EVENTS_DLQ: names.topics.eventsDlq,
    KAFKA_TOPIC_METRIC_UPDATES: names.topics.metricUpdates,
    KAFKA_GROUP_AGGREGATE: names.groups.aggregate,
  };
}
