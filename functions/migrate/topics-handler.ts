// CloudFormation custom resource (through the CDK Provider framework): creates the Kafka topics with
// their partitions and retention — the same ensureTopics()/topicSpecs() as `customersignal topics` —
// and brings an existing topic's retention.ms and max.message.bytes (adapters/kafka/limits.ts) back to the
// configured values (a topic created before the size limits were set keeps the 1 MB default otherwise).
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { loadConfig } from '../../adapters/config';
import { topicSpecs } from '../../adapters';
import { ensureTopicsConfigured } from '../../adapters/kafka/topics';
import { logger } from '../../adapters/logger';
import type { CustomResourceResult } from './handler';

export async function handler(event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> {
  const physicalResourceId = 'customersignal-topics';
  // Topics outlive a stack update that drops this resource; they go with the cluster.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const cfg = await loadConfig();
  const status = await ensureTopicsConfigured(cfg.kafka, topicSpecs(cfg));
  logger.info('topics', { status });
  return {
    PhysicalResourceId: physicalResourceId,
    Data: { Topics: status.map((s) => `${s.topic}:${s.partitions}`).join(',') },
  };
}
