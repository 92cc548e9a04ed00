// The kafkajs client factory; kafkajs stays behind this folder so it can be swapped.
import { Kafka, logLevel as KafkaLogLevel, type ISocketFactory, type LogEntry, type SASLOptions } from 'kafkajs';
import { processLogger } from '../logger';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  /** TLS to the brokers (MSK's IAM listener requires it). */
  ssl?: boolean;
  /** 'aws-iam': MSK IAM auth, SASL OAUTHBEARER with tokens from aws-msk-iam-sasl-signer-js. */
  auth?: 'none' | 'aws-iam';
  awsRegion?: string;
  /** Tests only: how connections to the brokers are opened (e.g. through a proxy that drops them). */
  socketFactory?: ISocketFactory;
}

const LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs's own lines are about the client's connections, not about the invocation that opened them. */
function logCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, broker, error, groupId, topic } = log as Record<string, unknown>;
    // Expected and retried by kafkajs: connection errors while a broker is down, coordinators loading on a
    // fresh broker, rebalances. The idempotent producer's retry warning is handled by the producer adapter
    // (a failed producer is replaced). All of these stay at debug.
    const quiet =
      /Connection error|ECONNREFUSED|Crash: KafkaJSNumberOfRetriesExceeded|Limiting retries for the idempotent producer|coordinator is (not available|loading)|group is rebalancing|not the correct coordinator/;
    const method = quiet.test(String(error ?? message)) ? 'debug' : (LEVEL[level] ?? 'info');
    processLogger[method]('kafka', { kafka: { message, broker, error, groupId, topic } });
  };
}

/**
 * MSK IAM: each (re)authentication signs a short-lived token with the function's role. The signer
 * (and the AWS SDK under it) is loaded only when IAM auth is configured.
 */
function mskIamSasl(region: string): SASLOptions {
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => {
      const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
      const { token } = await generateAuthToken({ region });
      return { value: token };
    },
  };
}

export function createKafka(opts: KafkaOptions): Kafka {
  const iam = opts.auth === 'aws-iam';
  if (iam && !opts.awsRegion) throw new Error('Kafka auth aws-iam needs awsRegion');
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...((opts.ssl || iam) && { ssl: true }),
    ...(iam && { sasl: mskIamSasl(opts.awsRegion!) }),
    ...(opts.socketFactory && { socketFactory: opts.socketFactory }),
    logLevel: KafkaLogLevel.WARN,
    logCreator,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 8 },
  });
}
