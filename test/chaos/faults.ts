// The faults the chaos suite injects, one at a time: SIGKILL of a role process (then a restart), or a stop of a
// service (then a start after `downMs`).
import type { Cluster, RoleName } from './cluster';
import type { WebhookReceiver } from '../webhook-receiver';
import type { Config } from '../../adapters/config';
import { deliveryLeaseMs } from '../../adapters/dispatcher';
import { retryDelayMs } from '../../core/backoff';

/** What a fault may use besides the cluster. */
export interface FaultContext {
  cluster: Cluster;
  hooks: WebhookReceiver;
  /** Tracks `n` events of `eventType` right away. */
  burst(eventType: string, n: number): void;
  /** Resolves once `n` events of `eventType` are in the raw store. */
  storedOfType(eventType: string, n: number): Promise<void>;
  until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void>;
}

export interface Fault {
  name: string;
  /** How long the fault lasts before the repair begins. */
  downMs: number;
  /** The ingest server is unreachable between inject and the end of repair (producers may see connection errors). */
  ingestDown?: boolean;
  inject(ctx: FaultContext): Promise<void>;
  repair(ctx: FaultContext): Promise<void>;
  /** Event type of an alert rule this fault makes fire (the run checks it notified). */
  alertType?: string;
}

export function killRoles(roles: RoleName[], downMs = 0): Fault {
  return {
    name: `SIGKILL ${roles.join(' + ')}`,
    downMs,
    ingestDown: roles.includes('http'),
    inject: async ({ cluster }) => {
      await Promise.all(roles.map((r) => cluster.killRole(r)));
    },
    repair: async ({ cluster }) => {
      for (const r of roles) await cluster.startRole(r);
    },
  };
}

/**
 * SIGKILL of the alert role in the middle of its batch: the rule's transition and notification row are committed,
 * its first delivery attempt (made by the alert role itself) hangs on the receiver, so the notice's offset is not
 * committed. The restarted role sees the notice again; the dispatch role delivers the notification.
 */
export function killAlertMidNotice(alertType = 'chaos_alert_k1'): Fault {
  return killWhileDeliveryHangs('SIGKILL alert (mid-batch)', 'alert', alertType, 1, 'the first delivery');
}

/**
 * SIGKILL of the dispatch role while its delivery hangs on the webhook receiver. The alert role makes the first
 * attempt itself (it times out against the hanging receiver); the retry is the dispatch role's, and that one is cut.
 */
export function killDispatchMidDelivery(alertType = 'chaos_alert_k2'): Fault {
  return killWhileDeliveryHangs(
    'SIGKILL dispatch (delivery in flight)',
    'dispatch',
    alertType,
    2,
    'a retried delivery',
  );
}

/**
 * How long the `attempts`-th delivery request of a notification can take to arrive, from the configuration: the events
 * through ingest, aggregation and the notice (`pipelineMs`), then per attempt a claim lease that may have to run out
 * (a claimant killed before), the request's timeout against the hanging receiver, the longest backoff before the
 * next attempt and a dispatcher tick.
 */
export function deliveryBudgetMs(
  config: Pick<Config, 'webhooks' | 'alerts'>,
  attempts: number,
  pipelineMs = 30_000,
): number {
  let ms = pipelineMs;
  for (let a = 1; a <= attempts; a++)
    ms += deliveryLeaseMs(config) + config.webhooks.timeoutMs + retryDelayMs(a, 1) + config.alerts.dispatchTickMs;
  return ms;
}

/**
 * Until the alert role's consumer group has consumed every notice that exists now. A SIGKILLed member keeps its
 * partitions until its session times out; only then does the restarted member's rejoin complete, and a notice read
 * late evaluates a rule's window at the time it is read. So a fault that needs a notice handled promptly waits for
 * this event (the group committed past the current end of metric_updates) instead of a fixed time.
 */
async function alertGroupCaughtUp(ctx: FaultContext): Promise<void> {
  const { config, kafka } = ctx.cluster.env.adapters;
  const topic = config.kafka.topics.metricUpdates;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    // The session timeout (at most 30 s), a full rebalance timeout (60 s) and the backlog: a generous bound on an event wait.
    await ctx.until('the alert group rejoined and caught up with metric_updates', 180_000, async () => {
      const [committed] = await admin.fetchOffsets({ groupId: config.kafka.groups.alert, topics: [topic] });
      return [...ends].every(([p, end]) => {
        const c = committed!.partitions.find((x) => x.partition === p)?.offset ?? '-1';
        return end === 0n || (c !== '-1' && BigInt(c) >= end);
      });
    });
  } finally {
    await admin.disconnect();
  }
}

/** Fires the rule of `alertType` with the receiver hanging, waits for the `attempts`-th request, kills `role`. */
function killWhileDeliveryHangs(
  name: string,
  role: 'alert' | 'dispatch',
  alertType: string,
  attempts: number,
  what: string,
): Fault {
  return {
    name,
    downMs: 0,
    alertType,
    inject: async (ctx) => {
      await alertGroupCaughtUp(ctx);
      const before = ctx.hooks.received.length;
      ctx.hooks.mode = 'hang';
      try {
        ctx.burst(alertType, 3);
        const budgetMs = deliveryBudgetMs(ctx.cluster.env.config, attempts);
        await ctx.until(
          `${what} for ${alertType} in flight`,
          budgetMs,
          async () =>
            ctx.hooks.received.slice(before).filter((h) => h.json.event_type === alertType).length >= attempts,
        );
        await ctx.cluster.killRole(role);
      } finally {
        ctx.hooks.mode = 'ok';
      }
    },
    repair: ({ cluster }) => cluster.startRole(role),
  };
}

export function stopKafka(downMs: number): Fault {
  return {
    name: 'stop/start Kafka',
    downMs,
    inject: ({ cluster }) => cluster.stopKafka(),
    repair: ({ cluster }) => cluster.startKafka(),
  };
}
export function stopPostgres(downMs: number): Fault {
  return {
    name: 'stop/start Postgres',
    downMs,
    inject: ({ cluster }) => cluster.stopPostgres(),
    repair: ({ cluster }) => cluster.startPostgres(),
  };
}
export function stopRedis(downMs: number): Fault {
  return {
    name: 'stop/start Redis',
    downMs,
    inject: ({ cluster }) => cluster.stopRedis(),
    repair: ({ cluster }) => cluster.startRedis(),
  };
}

export interface Plan {
  name: 'short' | 'long';
  producers: number;
  eventsPerSecond: number;
  /** Ingest without faults before the first fault and between faults. */
  steadyMs: number;
  /** A burst of the alert rule's event type this often. */
  alertEveryMs: number;
  faults: Fault[];
}

export function shortPlan(): Plan {
  return {
    name: 'short',
    producers: 4,
    eventsPerSecond: 100,
    steadyMs: 3_000,
    alertEveryMs: 10_000,
    faults: [
      killRoles(['aggregate']),
      killAlertMidNotice(),
      killDispatchMidDelivery(),
      killRoles(['http']),
      stopKafka(3_000),
      stopPostgres(3_000),
      stopRedis(2_000),
    ],
  };
}

export function longPlan(): Plan {
  return {
    name: 'long',
    producers: 6,
    eventsPerSecond: 250,
    steadyMs: 10_000,
    alertEveryMs: 10_000,
    faults: [
      killRoles(['aggregate']),
      killAlertMidNotice('chaos_alert_k1'),
      killDispatchMidDelivery('chaos_alert_k2'),
      killRoles(['http']),
      killRoles(['scheduler']),
      stopKafka(5_000),
      stopPostgres(8_000),
      stopRedis(5_000),
      killRoles(['aggregate'], 10_000),
      killRoles(['http'], 5_000),
      killRoles(['aggregate', 'alert', 'dispatch', 'http']),
      killAlertMidNotice('chaos_alert_k3'),
      killDispatchMidDelivery('chaos_alert_k4'),
      stopKafka(15_000),
      stopPostgres(20_000),
      stopRedis(15_000),
    ],
  };
}
