// Scheduled maintenance (EventBridge in AWS, the scheduler tick locally): partitions ahead, key-use flush.
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';

const DAYS_AHEAD = 3;

export function createMaintenanceHandler(deps: Adapters) {
  return async (_event: unknown): Promise<{ partitionsCreated: number }> => {
    const partitionsCreated = await deps.partitions.ensureAhead(deps.now(), DAYS_AHEAD);
    await deps.keys.flush();
    return { partitionsCreated };
  };
}

export const handler = lazyHandler(() => createMaintenanceHandler(processAdapters()));
