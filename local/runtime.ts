// The local runtime: the very same handlers as in Lambda, hosted in one process against real Kafka, Postgres, Redis.
import type { Server } from 'node:http';
import type { Adapters } from '../adapters';
import { createIngestHandler } from '../functions/ingest/handler';
import { createQueryHandler } from '../functions/query/handler';
import { createAggregateHandler } from '../functions/aggregate/handler';
import { createMaintenanceHandler } from '../functions/maintenance/handler';
import { startHttpServer } from './http-server';
import { hostKafkaFunction } from './consumers';
import { startScheduler } from './scheduler';

export interface RuntimeOptions {
  http?: boolean;
  consumers?: boolean;
  scheduler?: boolean;
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
      const aggregate = await hostKafkaFunction(deps.kafka, {
        groupId: config.kafka.groups.aggregate,
        topic: config.kafka.topics.eventsRaw,
        batchSize: config.aggregateBatchSize,
        handler: createAggregateHandler(deps),
        bootstrapServers: config.kafka.brokers.join(','),
      });
      stops.push(() => aggregate.stop());
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
