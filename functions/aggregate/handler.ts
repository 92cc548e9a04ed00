// Kafka-triggered aggregate function: MSK event of events_raw records → processBatch.
import { decodeRecords, type MskEvent } from '../../core/msk-event';
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import { processBatch, type BatchOutcome } from './process-batch';

export function createAggregateHandler(deps: Adapters) {
  return async (event: MskEvent): Promise<BatchOutcome> => processBatch(deps, decodeRecords(event));
}

export const handler = lazyHandler(() => createAggregateHandler(processAdapters()));
