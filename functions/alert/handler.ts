// The alert function (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): Kafka-triggered on metric_updates, it evaluates the rules of the touched
// tenants and event types; the scheduled tick evaluates absence rules, `for` periods, no_data and resolves. New
// notifications get a first delivery attempt at once; the dispatcher retries what fails. The evaluation itself is
// core/alert-evaluation.ts, the delivery adapters/dispatcher.ts (shared with the dispatch function).
import { decodeRecords, type MskEvent } from '../../core/msk-event';
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import { createNotifiers, type Notifiers } from '../../adapters/notifiers';
import { logger } from '../../adapters/logger';
import { dispatch } from '../../adapters/dispatcher';
import type { AlertRule } from '../../core/alert-rule';
import { evaluateRules } from '../../core/alert-evaluation';

export interface AlertOutcome {
  notices: number;
  rules: number;
  notifications: number;
}

interface Notice {
  tenantId: string;
  projectId: string;
  eventType: string;
}

function decodeNotice(value: string | null): Notice | null {
  try {
    const n = JSON.parse(value ?? '') as { tenant_id?: unknown; project_id?: unknown; event_type?: unknown };
    if (typeof n.tenant_id === 'string' && typeof n.project_id === 'string' && typeof n.event_type === 'string') {
      return { tenantId: n.tenant_id, projectId: n.project_id, eventType: n.event_type };
    }
  } catch {
    /* below */
  }
  return null;
}

/** Evaluates the rules now, then makes the first delivery attempt of what they created (the dispatcher retries). */
async function evaluateAndDeliver(
  deps: Adapters,
  notifiers: Notifiers,
  rules: AlertRule[],
): Promise<Omit<AlertOutcome, 'notices'>> {
  const ids = await evaluateRules(deps, rules, deps.now());
  await dispatch({ ...deps, ...notifiers }, { ids }).catch((error: unknown) =>
    logger.warn('first delivery attempt failed; the dispatcher retries', { error: error as Error }),
  );
  return { rules: rules.length, notifications: ids.length };
}

export function createAlertHandler(deps: Adapters, notifiers: Notifiers = createNotifiers(deps.config)) {
  return async (event: MskEvent): Promise<AlertOutcome> => {
    const seen = new Map<string, Notice>();
    for (const r of decodeRecords(event)) {
      const n = decodeNotice(r.value);
      // A notice is derived data (the tick re-evaluates every rule that is not ok): a malformed one is skipped, not retried.
      if (!n)
        logger.warn('skipped a malformed metric_updates notice', {
          topic: r.topic,
          partition: r.partition,
          offset: r.offset,
        });
      else seen.set(`${n.tenantId}\u0000${n.projectId}\u0000${n.eventType}`, n);
    }
    const rules = await deps.alertRules.rulesForNotices([...seen.values()]);
    return { notices: seen.size, ...(await evaluateAndDeliver(deps, notifiers, rules)) };
  };
}

export function createAlertTick(deps: Adapters, notifiers: Notifiers = createNotifiers(deps.config)) {
  return async (_event?: unknown): Promise<AlertOutcome> => {
    return { notices: 0, ...(await evaluateAndDeliver(deps, notifiers, await deps.alertRules.rulesForTick())) };
  };
}

export const handler = lazyHandler(() => createAlertHandler(processAdapters()));
export const tickHandler = lazyHandler(() => createAlertTick(processAdapters()));
