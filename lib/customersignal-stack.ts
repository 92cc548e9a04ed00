// The whole deployment in one stack, composed from one construct per concern.
import * as path from 'node:path';
import { Construct } from 'constructs';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Api } from './api';
import { EventSources } from './event-sources';
import { FunctionDefaults, PROJECT_ROOT } from './function-defaults';
import { Functions } from './functions';
import { defaultKafkaNames, kafkaNamesEnvironment } from './kafka-names';
import { Network } from './network';
import { Schedules } from './schedules';
import { Storage } from './storage';
import { Streaming } from './streaming';
import { Web } from './web';

export interface CustomerSignalStackProps extends StackProps {
  /** @default frontend/dist of this repository */
  readonly webDistDir?: string;
}

export class CustomerSignalStack extends Stack {
  readonly network: Network;
  readonly streaming: Streaming;
  readonly storage: Storage;
  readonly functions: Functions;
  readonly api: Api;
  readonly eventSources: EventSources;
  readonly schedules: Schedules;
  readonly web: Web;

  constructor(scope: Construct, id: string, props: CustomerSignalStackProps = {}) {
    super(scope, id, props);
    const kafka = defaultKafkaNames();

    this.network = new Network(this, 'Network');
    this.streaming = new Streaming(this, 'Streaming', { network: this.network });
    this.storage = new Storage(this, 'Storage', { network: this.network });

    // The runtime's config module reads DATABASE_URL and the rest; DATABASE_URL carries no
    // password: the secret's ARN travels instead, and the password is read from it at runtime.
    const functionDefaults = new FunctionDefaults(this, 'FunctionDefaults', {
      network: this.network,
      environment: {
        KAFKA_BROKERS: this.streaming.bootstrapBrokers,
        ...kafkaNamesEnvironment(kafka),
        DATABASE_URL: this.storage.databaseUrl,
        DATABASE_SECRET_ARN: this.storage.databaseSecret.secretArn,
        REDIS_URL: this.storage.redisUrl,
      },
    });
    this.functions = new Functions(this, 'Functions', {
      defaults: functionDefaults,
      streaming: this.streaming,
      storage: this.storage,
      kafka,
    });

    this.web = new Web(this, 'Web', { distDir: props.webDistDir ?? path.join(PROJECT_ROOT, 'frontend', 'dist') });
    this.api = new Api(this, 'Api', {
      handlers: { ingest: this.functions.ingest, query: this.functions.query },
    });
    this.eventSources = new EventSources(this, 'EventSources', {
      streaming: this.streaming,
      aggregate: this.functions.aggregate,
      kafka,
    });
    this.schedules = new Schedules(this, 'Schedules', { maintenance: this.functions.maintenance });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (VITE_API_URL for the SPA build)' });
    new CfnOutput(this, 'DashboardUrl', { value: this.web.url, description: 'The dashboard SPA' });
    new CfnOutput(this, 'KafkaClusterArn', { value: this.streaming.clusterArn, description: 'For `customersignal topics` against MSK' });
  }
}
