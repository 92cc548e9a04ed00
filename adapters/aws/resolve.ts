// What a process in AWS fetches once at cold start: secrets and the MSK bootstrap brokers.
// Only adapters/config.ts (loadConfig) calls this; the local runtime never loads it.
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { ConfigError, type Config } from '../config';

export async function resolveAwsReferences(cfg: Config): Promise<Config> {
  const region = cfg.aws.region;
  const secrets = new SecretsManagerClient({ region });
  const readSecret = async (arn: string, what: string): Promise<Record<string, string>> => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
    try {
      return JSON.parse(SecretString ?? '') as Record<string, string>;
    } catch {
      throw new ConfigError(`Invalid configuration: ${what} (${arn}) is not a JSON secret`);
    }
  };
  const field = (secret: Record<string, string>, name: string, what: string): string => {
    const value = secret[name];
    if (typeof value !== 'string' || value === '')
      throw new ConfigError(`Invalid configuration: ${what} has no "${name}"`);
    return value;
  };

  const [brokers, database, redis, smtp, sso] = await Promise.all([
    cfg.kafka.mskClusterArn
      ? mskBootstrapBrokers(cfg.kafka.mskClusterArn, region, cfg.kafka.auth, cfg.kafka.ssl)
      : undefined,
    cfg.database.secretArn ? readSecret(cfg.database.secretArn, 'DATABASE_SECRET_ARN') : undefined,
    cfg.redis.secretArn ? readSecret(cfg.redis.secretArn, 'REDIS_SECRET_ARN') : undefined,
    cfg.smtp.secretArn ? readSecret(cfg.smtp.secretArn, 'SMTP_SECRET_ARN') : undefined,
    cfg.sso.secretKeyArn ? readSecret(cfg.sso.secretKeyArn, 'SSO_SECRET_KEY_ARN') : undefined,
  ]);
  secrets.destroy();

  return {
    ...cfg,
    kafka: brokers ? { ...cfg.kafka, brokers } : cfg.kafka,
    database: database
      ? {
          ...cfg.database,
          url: withUser(cfg.database.url, field(database, 'username', 'DATABASE_SECRET_ARN')),
          password: field(database, 'password', 'DATABASE_SECRET_ARN'),
        }
      : cfg.database,
    redis: redis
      ? {
          ...cfg.redis,
          username: field(redis, 'username', 'REDIS_SECRET_ARN'),
          password: field(redis, 'password', 'REDIS_SECRET_ARN'),
        }
      : cfg.redis,
    smtp: smtp
      ? {
          ...cfg.smtp,
          username: field(smtp, 'accessKeyId', 'SMTP_SECRET_ARN'),
          password: sesSmtpPassword(field(smtp, 'secretAccessKey', 'SMTP_SECRET_ARN'), region!),
        }
      : cfg.smtp,
    sso: sso ? { ...cfg.sso, secretKey: field(sso, 'key', 'SSO_SECRET_KEY_ARN') } : cfg.sso,
  };
}

/** host:port,... of the cluster's listener for the configured auth (IAM: 9098; TLS: 9094; plaintext: 9092). */
export async function mskBootstrapBrokers(
  clusterArn: string,
  region: string | undefined,
  auth: 'none' | 'aws-iam',
  ssl: boolean,
): Promise<string[]> {
  const kafka = new KafkaClient({ region });
  try {
    const out = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    const list =
      auth === 'aws-iam'
        ? out.BootstrapBrokerStringSaslIam
        : ssl
          ? out.BootstrapBrokerStringTls
          : out.BootstrapBrokerString;
    if (!list)
      throw new ConfigError(
        `Invalid configuration: MSK cluster ${clusterArn} has no bootstrap brokers for KAFKA_AUTH=${auth}`,
      );
    return list
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  } finally {
    kafka.destroy();
  }
}

/** The database user from the secret, in the URL (the password travels separately). */
function withUser(url: string, username: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(username);
  u.password = '';
  return u.toString();
}

/**
 * SES SMTP password from an IAM secret access key (the documented SigV4-based derivation,
 * https://docs.aws.amazon.com/ses/latest/dg/smtp-credentials.html): HMAC chain over a fixed date,
 * the region, "ses", "aws4_request" and "SendRawEmail", prefixed with version byte 0x04, base64.
 */
export function sesSmtpPassword(secretAccessKey: string, region: string): string {
  const sign = (key: Buffer | string, message: string) => createHmac('sha256', key).update(message, 'utf8').digest();
  let signature = sign(`AWS4${secretAccessKey}`, '11111111');
  for (const part of [region, 'ses', 'aws4_request', 'SendRawEmail']) signature = sign(signature, part);
  return Buffer.concat([Buffer.from([0x04]), signature]).toString('base64');
}
