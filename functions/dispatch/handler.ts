// Scheduled dispatcher (EventBridge in AWS, a timer in the local runtime): delivers due notifications of the outbox,
// and the password-reset mails POST /v1/auth/forgot recorded (functions/auth/recovery.ts).
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import { createNotifiers, type Notifiers } from '../../adapters/notifiers';
import { dispatch, type DispatchResult } from '../../adapters/dispatcher';
import { sendRequestedResets } from '../auth/recovery';

export function createDispatchHandler(deps: Adapters, notifiers: Notifiers = createNotifiers(deps.config)) {
  return async (_event?: unknown): Promise<DispatchResult> => {
    const total: DispatchResult = { attempted: 0, delivered: 0, failed: 0 };
    await sendRequestedResets(deps);
    // Drain what is due now, a page at a time.
    for (;;) {
      const r = await dispatch({ ...deps, ...notifiers }, { limit: 100 });
      total.attempted += r.attempted;
      total.delivered += r.delivered;
      total.failed += r.failed;
      if (r.attempted < 100) return total;
    }
  };
}

export const handler = lazyHandler(() => createDispatchHandler(processAdapters()));
