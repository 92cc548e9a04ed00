// The topics custom resource creates the topics with the size limit the producer plans its sends against, and
// brings an existing topic (created with Kafka's 1 MB default) up to it.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ConfigResourceTypes } from 'kafkajs';
import { useTestEnv, eventually } from '../../test/harness';
import { KAFKA_MAX_MESSAGE_BYTES } from '../../adapters/kafka/limits';

const { env } = useTestEnv('topicshandler', { topics: 'remove' });
let handler: typeof import('./topics-handler').handler;

beforeAll(async () => {
  const t = env.config.kafka.topics;
  // The handler reads its configuration from the environment, as in Lambda.
  process.env.KAFKA_BROKERS = env.config.kafka.brokers.join(',');
  process.env.KAFKA_TOPIC_EVENTS_RAW = t.eventsRaw;
  process.env.KAFKA_TOPIC_EVENTS_DLQ = t.eventsDlq;
  process.env.KAFKA_TOPIC_METRIC_UPDATES = t.metricUpdates;
  process.env.KAFKA_EVENTS_RAW_PARTITIONS = '2';
  // A fresh module registry: the configuration read (and cached) when the harness loaded is not the handler's.
  jest.resetModules();
  ({ handler } = await import('./topics-handler'));
});

/** A topic's config value; a topic created a moment ago may answer "does not host this topic-partition" at first. */
function topicConfig(topic: string, name: string): Promise<string> {
  return eventually(
    async () => {
      const admin = env.adapters.kafka.admin();
      await admin.connect();
      try {
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
        });
        return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
      } finally {
        await admin.disconnect();
      }
    },
    20_000,
    200,
  );
}

it('creates every topic with max.message.bytes at the shared limit and raises an existing topic to it', async () => {
  // Prepare: the DLQ topic exists already with Kafka's default limit.
  const { eventsRaw, eventsDlq, metricUpdates } = env.config.kafka.topics;
  const admin = env.adapters.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: eventsDlq, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] },
      ],
    });
  } catch (e) {
    // A fresh topic may answer "does not host this topic-partition" for a moment while waiting for its leader.
    if (!(await admin.listTopics()).includes(eventsDlq)) throw e;
  } finally {
    await admin.disconnect();
  }
  expect(await topicConfig(eventsDlq, 'max.message.bytes')).toBe('1048588');

  // Act
  const result = await handler({ RequestType: 'Create' } as CloudFormationCustomResourceEvent);

  // Assess
  expect(result.PhysicalResourceId).toBe('customersignal-topics');
  expect(result.Data?.Topics).toBe(`${eventsRaw}:2,${eventsDlq}:1,${metricUpdates}:2`);
  for (const topic of [eventsRaw, eventsDlq, metricUpdates]) {
    expect({ topic, value: await topicConfig(topic, 'max.message.bytes') }).toEqual({
      topic,
      value: String(KAFKA_MAX_MESSAGE_BYTES),
    });
  }
});
