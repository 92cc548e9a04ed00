// The Lambda functions and what each may touch.
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Email } from './email';
import { FunctionDefaults } from './function-defaults';
import type { KafkaNames } from './kafka-names';
import type { Storage } from './storage';
import type { Streaming } from './streaming';

export interface FunctionsProps {
  readonly defaults: FunctionDefaults;
  readonly streaming: Streaming;
  readonly storage: Storage;
  readonly kafka: KafkaNames;
  /** The email channel, when the stage names a sender. */
  readonly email?: Email;
  /** Memory of the aggregate function (the heaviest: dedupe, rollups, sketches per batch). */
  readonly aggregateMemoryMb: number;
}

export class Functions extends Construct {
  readonly ingest: NodejsFunction;
  readonly query: NodejsFunction;
  readonly aggregate: NodejsFunction;
  readonly maintenance: NodejsFunction;
  /** metric_updates batches (functions/alert/handler.ts `handler`). */
  readonly alert: NodejsFunction;
  /** The scheduled tick of the alert engine: absence rules, `for` periods, resolves (`tickHandler`). */
  readonly alertTick: NodejsFunction;
  /** Delivers the notification outbox: webhooks through the NAT, email through the SES SMTP endpoint. */
  readonly dispatch: NodejsFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { defaults, streaming, storage, kafka, email } = props;
    const { eventsRaw, eventsDlq, metricUpdates } = kafka.topics;
    // The alert function and its tick make the first delivery attempt of new notifications themselves
    // (the dispatcher retries), so all three get the SMTP settings (host, port, sender, secret).
    const mailing = email ? [...FunctionDefaults.APP_CONNECTIONS, 'smtp' as const] : FunctionDefaults.APP_CONNECTIONS;

    this.ingest = defaults.create(this, 'Ingest', {
      entry: 'ingest/handler',
      description: 'POST /v1/events: validate, then produce to events_raw with acks=all',
    });
    this.query = defaults.create(this, 'Query', {
      entry: 'query/handler',
      description: 'GET /v1/metrics, /v1/events, catalog, projects, keys and health checks: Redis, then Postgres',
    });
    this.aggregate = defaults.create(this, 'Aggregate', {
      entry: 'aggregate/handler',
      description: 'events_raw batches: dedupe, raw insert and rollups in Postgres, then Redis, then metric_updates',
      memorySize: props.aggregateMemoryMb,
      // A batch waits out Postgres or Redis hiccups with backoff rather than failing fast.
      timeout: Duration.minutes(5),
    });
    this.maintenance = defaults.create(this, 'Maintenance', {
      entry: 'maintenance/handler',
      description:
        'Every minute: raw-event partitions ahead, retention, API-key last-use flush, consumer lag and freshness',
      timeout: Duration.minutes(2),
    });
    this.alert = defaults.create(this, 'Alert', {
      entry: 'alert/handler',
      description:
        'metric_updates batches: evaluate the affected alert rules over the 10s rollups; state + outbox in one transaction',
      timeout: Duration.minutes(2),
      connects: mailing,
    });
    this.alertTick = defaults.create(this, 'AlertTick', {
      entry: 'alert/handler',
      handler: 'tickHandler',
      description: 'Every minute: absence rules, `for` periods and resolves',
      timeout: Duration.minutes(1),
      connects: mailing,
    });
    this.dispatch = defaults.create(this, 'Dispatch', {
      entry: 'dispatch/handler',
      description:
        'Every minute: deliver pending notifications (webhooks, email) at least once with a stable delivery id',
      timeout: Duration.minutes(2),
      connects: mailing,
    });

    // Every app function builds the shared adapters, which open Postgres, Redis and a Kafka client.
    for (const fn of this.all) {
      storage.grantPostgres(fn);
      storage.grantRedis(fn);
      streaming.grantConnect(fn);
    }
    streaming.grantProduce(this.ingest, [eventsRaw]);
    // Reading events_raw / metric_updates is the event-source mappings' job, granted where they are created (event-sources.ts).
    streaming.grantProduce(this.aggregate, [metricUpdates, eventsDlq]);
    // GET /readyz lists topics to prove Kafka is reachable.
    streaming.grantDescribe(this.query, [eventsRaw, eventsDlq, metricUpdates]);
    // Maintenance reads the aggregate group's lag on events_raw and publishes caught_up_through.
    streaming.grantDescribeGroup(this.maintenance, eventsRaw, kafka.groups.aggregate);
    for (const fn of [this.dispatch, this.alert, this.alertTick]) email?.grantRead(fn);
  }

  get all(): NodejsFunction[] {
    return [this.ingest, this.query, this.aggregate, this.maintenance, this.alert, this.alertTick, this.dispatch];
  }
}
