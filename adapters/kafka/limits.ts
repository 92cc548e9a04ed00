// Kafka size limits, shared by the producer, the local broker, the topic configuration and the CDK's MSK
// configuration, so that every body the HTTP contract accepts fits in what the broker accepts.
//
// How they fit together (docs/architecture.md#rule-1-ack-means-durable): the producer (adapters/kafka/producer.ts)
// packs the events of concurrent requests into sends of at most KAFKA_MAX_PRODUCE_BYTES (estimated record-batch bytes),
// splitting a large request over several sends when needed; the broker and every topic take record batches up to
// KAFKA_MAX_MESSAGE_BYTES, twice that, so an estimate that is off by a lot still fits. Only a single record must fit in
// one send, and one event is at most a few hundred KB (properties + context limits), so every body within
// MAX_BODY_BYTES (and every gzip body that inflates to it) fits, whatever else is merged with it. Should a topic still
// carry a lower max.message.bytes (created before this), the producer halves the send that the broker refused as
// MESSAGE_TOO_LARGE and continues: too large never becomes a 503 or a retry loop.

/**
 * Broker `message.max.bytes` / topic `max.message.bytes`: the largest record batch the broker takes.
 * 8 MiB is also the highest `max.message.bytes` MSK Serverless allows on a topic.
 */
export const KAFKA_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * The producer's `max.request.size` equivalent (kafkajs has none): the most estimated record-batch bytes one
 * send carries. Half the broker limit; larger than a full MAX_BODY_BYTES body encoded as records (~1.5 MB),
 * so a request of any valid size normally goes out in one send.
 */
export const KAFKA_MAX_PRODUCE_BYTES = KAFKA_MAX_MESSAGE_BYTES / 2;

/** Topic configuration entries every topic of the project carries (created and brought back by migrations). */
export const TOPIC_SIZE_CONFIG: { name: string; value: string }[] = [
  { name: 'max.message.bytes', value: String(KAFKA_MAX_MESSAGE_BYTES) },
];
