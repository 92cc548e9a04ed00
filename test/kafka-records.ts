// Records sent straight to a topic by a test, through an idempotent producer (as ingest's): on a loaded machine a
// send may be retried, and a plain producer's retry can append a batch twice, which no test here is about.
import { Partitioners, type Kafka, type Message } from 'kafkajs';

export async function sendRecords(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}
