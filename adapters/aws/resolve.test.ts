import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { ConfigError, needsAwsResolution, parseConfig } from '../config';
import { resolveAwsReferences, sesSmtpPassword } from './resolve';

const AWS_ENV = {
  AWS_REGION: 'eu-west-1',
  KAFKA_AUTH: 'aws-iam',
  KAFKA_MSK_CLUSTER_ARN: 'arn:aws:kafka:eu-west-1:111111111111:cluster/cs-events/abc-1',
  DATABASE_URL: 'postgres://customersignal@proxy.example:5432/customersignal?sslmode=require',
  DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf',
  REDIS_URL: 'rediss://cache.example:6379',
  REDIS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis-AbCdEf',
  SMTP_HOST: 'email-smtp.eu-west-1.amazonaws.com',
  SMTP_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:smtp-AbCdEf',
};

describe('AWS configuration', () => {
  afterEach(() => jest.restoreAllMocks());

  it('parses the AWS entries and says which need resolving', () => {
    const c = parseConfig(AWS_ENV);
    expect(c.kafka).toMatchObject({
      auth: 'aws-iam',
      ssl: true,
      awsRegion: 'eu-west-1',
      mskClusterArn: AWS_ENV.KAFKA_MSK_CLUSTER_ARN,
    });
    expect(c.smtp).toMatchObject({ host: AWS_ENV.SMTP_HOST, port: 587 });
    expect(needsAwsResolution(c)).toBe(true);
    expect(needsAwsResolution(parseConfig({}))).toBe(false);
    expect(parseConfig({}).kafka).toMatchObject({ auth: 'none', ssl: false });
  });

  it('refuses IAM auth or secret ARNs without a region, and ARNs that are not ARNs', () => {
    expect(() => parseConfig({ KAFKA_AUTH: 'aws-iam' })).toThrow(/KAFKA_AUTH=aws-iam needs AWS_REGION/);
    expect(() => parseConfig({ DATABASE_SECRET_ARN: AWS_ENV.DATABASE_SECRET_ARN })).toThrow(/AWS_REGION is required/);
    expect(() => parseConfig({ AWS_REGION: 'eu-west-1', REDIS_SECRET_ARN: 'redis-secret' })).toThrow(
      /^Invalid configuration: REDIS_SECRET_ARN/,
    );
  });

  it('reads the secrets and the IAM bootstrap brokers once, keeping passwords out of URLs', async () => {
    const secrets: Record<string, object> = {
      [AWS_ENV.DATABASE_SECRET_ARN]: { username: 'customersignal', password: 'db pass/with:odd@chars' },
      [AWS_ENV.REDIS_SECRET_ARN]: { username: 'customersignal', password: 'redis-pass' },
      [AWS_ENV.SMTP_SECRET_ARN]: {
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    };
    jest.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation(async (command: unknown) => {
      const id = (command as GetSecretValueCommand).input.SecretId!;
      return { SecretString: JSON.stringify(secrets[id]) } as never;
    });
    const kafkaSend = jest.spyOn(KafkaClient.prototype, 'send').mockImplementation(async (command: unknown) => {
      expect((command as GetBootstrapBrokersCommand).input.ClusterArn).toBe(AWS_ENV.KAFKA_MSK_CLUSTER_ARN);
      return { BootstrapBrokerStringSaslIam: 'b-1.cs.kafka-serverless.eu-west-1.amazonaws.com:9098' } as never;
    });

    const c = await resolveAwsReferences(parseConfig(AWS_ENV));
    expect(kafkaSend).toHaveBeenCalledTimes(1);
    expect(c.kafka.brokers).toEqual(['b-1.cs.kafka-serverless.eu-west-1.amazonaws.com:9098']);
    expect(c.database.password).toBe('db pass/with:odd@chars');
    expect(c.database.url).not.toContain('pass');
    expect(c.redis).toMatchObject({ username: 'customersignal', password: 'redis-pass', url: AWS_ENV.REDIS_URL });
    expect(c.smtp).toMatchObject({
      username: 'AKIAEXAMPLE',
      password: sesSmtpPassword('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'eu-west-1'),
    });
  });

  it('names the secret that is not usable', async () => {
    jest
      .spyOn(SecretsManagerClient.prototype, 'send')
      .mockImplementation(async () => ({ SecretString: '{"username":"x"}' }) as never);
    const env = { AWS_REGION: 'eu-west-1', DATABASE_SECRET_ARN: AWS_ENV.DATABASE_SECRET_ARN };
    await expect(resolveAwsReferences(parseConfig(env))).rejects.toThrow(ConfigError);
    await expect(resolveAwsReferences(parseConfig(env))).rejects.toThrow(/DATABASE_SECRET_ARN has no "password"/);
  });

  it('derives the SES SMTP password: version byte 4 and a 32-byte HMAC, different per region', () => {
    const a = Buffer.from(sesSmtpPassword('secret', 'eu-west-1'), 'base64');
    expect(a).toHaveLength(33);
    expect(a[0]).toBe(4);
    expect(sesSmtpPassword('secret', 'us-east-1')).not.toBe(sesSmtpPassword('secret', 'eu-west-1'));
  });
});
