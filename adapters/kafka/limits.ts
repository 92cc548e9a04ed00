// Kafka size limits, shared by the producer, the local broker, the topic configuration and the CDK's MSK
// configuration, so that every body the HTTP contract accepts fits in what the broker accepts.
// (Values are sized together in issue #14; the CDK reads them for the MSK cluster configuration.)

/** Broker `message.max.bytes` / topic `max.message.bytes`: the largest record batch the broker takes. */
export const KAFKA_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
