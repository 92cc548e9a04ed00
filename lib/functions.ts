// The four Lambda functions and what each may touch.
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { FunctionDefaults } from './function-defaults';
import type { KafkaNames } from './kafka-names';
import type { Storage } from './storage';
import type { Streaming } from './streaming';

export interface FunctionsProps {
  readonly defaults: FunctionDefaults;
  readonly streaming: Streaming;
  readonly storage: Storage;
  readonly kafka: KafkaNames;
}

export class Functions extends Construct {
  readonly ingest: NodejsFunction;
  readonly query: NodejsFunction;
  readonly aggregate: NodejsFunction;
  readonly maintenance: NodejsFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { defaults, streaming, storage, kafka } = props;
    const { eventsRaw, eventsDlq, metricUpdates } = kafka.topics;

    this.ingest = defaults.create(this, 'Ingest', {
      name: 'ingest',
      description: 'POST /v1/events: validate, then produce to events_raw with acks=all',
    });
    this.query = defaults.create(this, 'Query', {
      name: 'query',
      description: 'GET /v1/metrics, /v1/events and health checks: Redis, then Postgres',
    });
    this.aggregate = defaults.create(this, 'Aggregate', {
      name: 'aggregate',
      description: 'events_raw batches: dedupe, raw insert and rollups in Postgres, then Redis',
      memorySize: 1024,
      // A batch waits out Postgres or Redis hiccups with backoff rather than failing fast.
      timeout: Duration.minutes(5),
    });
    this.maintenance = defaults.create(this, 'Maintenance', {
      name: 'maintenance',
      description: 'Every minute: raw-event partitions ahead, retention, API-key last-use flush, consumer lag and freshness',
      timeout: Duration.minutes(2),
    });

    // Every function builds the shared adapters, which open Postgres and Redis.
    for (const fn of [this.ingest, this.query, this.aggregate, this.maintenance]) storage.grantReadWrite(fn);
    streaming.grantProduce(this.ingest, [eventsRaw]);
    // Reading events_raw is the event-source mapping's job, granted where it is created (event-sources.ts).
    streaming.grantProduce(this.aggregate, [metricUpdates, eventsDlq]);
    // GET /readyz lists topics to prove Kafka is reachable.
    streaming.grantDescribe(this.query, [eventsRaw, eventsDlq, metricUpdates]);
    // Maintenance reads the aggregate group's lag on events_raw and publishes caught_up_through.
    streaming.grantDescribeGroup(this.maintenance, eventsRaw, kafka.groups.aggregate);
  }

  get all(): NodejsFunction[] {
    return [this.ingest, this.query, this.aggregate, this.maintenance];
  }
}
