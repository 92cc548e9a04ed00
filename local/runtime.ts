// The local runtime: the very same handlers as in Lambda, hosted in one process against real Kafka, Postgres, Redis.
import type { Server } from 'node:http';
import type { Adapters } from '../adapters';
import { createIngestHandler } from '../functions/ingest/handler';
import { createQueryHandler } from '../functions/query/handler';
import { createAggregateHandler } from '../functions/aggregate/handler';
import { createMaintenanceHandler } from '../functions/maintenance/handler';
import { createAlertHandler, createAlertTick } from '../functions/alert/handler';
import { createDispatchHandler } from '../functions/dispatch/handler';
import { createNotifiers } from '../adapters/notifiers';
import { logger } from '../adapters/logger';
import { startSmtpSink } from './smtp-sink';
import { startHttpServer } from './http-server';
import { hostKafkaFunction } from './consumers';
import { startScheduler } from './scheduler';

export interface RuntimeOptions {
  http?: boolean;
  consumers?: boolean;
  scheduler?: boolean;
  /** The alert consumer group on metric_updates and the alert tick (default off). */
  alerts?: boolean;
  /** The notification dispatcher's timer (default off). */
  dispatch?: boolean;
  /** The local SMTP sink on config.mail.sinkPort (mails kept in config.mail.sinkDir). */
  mailSink?: boolean;
  /** Serve the SPA from config.webDistDir. */
  web?: boolean;
  port?: number;
}

export interface LocalRuntime {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startLocalRuntime(deps: Adapters, opts: RuntimeOptions = {}): Promise<LocalRuntime> {
  const { config } = deps;
  const stops: (() => Promise<void>)[] = [];
  let url = '';
  let port = 0;
  try {
    if (opts.scheduler !== false) {
      const s = startScheduler('maintenance', config.schedulerTickMs, createMaintenanceHandler(deps));
      stops.push(() => s.stop());
    }
    if (opts.consumers !== false) {
      const aggregate = await hostKafkaFunction(config.kafka, {
        groupId: config.kafka.groups.aggregate,
        topic: config.kafka.topics.eventsRaw,
        batchSize: config.aggregateBatchSize,
        handler: createAggregateHandler(deps),
        bootstrapServers: config.kafka.brokers.join(','),
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      });
      stops.push(() => aggregate.stop());
    }
    if (opts.mailSink) {
      const sink = await startSmtpSink({
        port: config.mail.sinkPort,
        dir: config.mail.sinkDir,
        onMail: (m) => logger.info('mail kept by the local SMTP sink', { recipients: m.to.length, file: m.file }),
      });
      stops.push(() => sink.stop());
    }
    if (opts.alerts || opts.dispatch) {
      const notifiers = createNotifiers(config);
      stops.push(async () => notifiers.close());
      if (opts.alerts) {
        const alerts = await hostKafkaFunction(config.kafka, {
          groupId: config.kafka.groups.alert,
          topic: config.kafka.topics.metricUpdates,
          batchSize: 500,
          handler: createAlertHandler(deps, notifiers),
          bootstrapServers: config.kafka.brokers.join(','),
          sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        });
        stops.push(() => alerts.stop());
        const tick = startScheduler('alert-tick', config.alerts.tickMs, createAlertTick(deps, notifiers));
        stops.push(() => tick.stop());
      }
      if (opts.dispatch) {
        const d = startScheduler('dispatch', config.alerts.dispatchTickMs, createDispatchHandler(deps, notifiers));
        stops.push(() => d.stop());
      }
    }
    if (opts.http !== false) {
      // A long-running process writes catalog registrations on a timer too (Lambda does it after each request);
      // stopping writes what is left once the server no longer takes requests.
      const catalogTimer = setInterval(() => void deps.catalog.flushIfDue(), config.catalog.flushIntervalMs);
      catalogTimer.unref();
      stops.push(async () => {
        clearInterval(catalogTimer);
        await deps.catalog.flush();
      });
      const started = await startHttpServer({
        host: config.http.host,
        port: opts.port ?? config.http.port,
        maxBodyBytes: config.limits.maxBodyBytes,
        functions: { ingest: createIngestHandler(deps), query: createQueryHandler(deps) },
        webDistDir: opts.web === false ? undefined : config.webDistDir,
      });
      url = started.url;
      port = started.port;
      stops.push(() => closeServer(started.server));
    }
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw e;
  }
  return {
    url,
    port,
    async stop() {
      // Stop taking requests first, then let consumers finish their batch.
      for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, 3_000).unref();
  });
}
