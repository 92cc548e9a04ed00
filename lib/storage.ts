// Postgres (the truth) behind RDS Proxy with Secrets Manager credentials, and ElastiCache Serverless
// Redis (the speed) with TLS and a password user.
import { Construct } from 'constructs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Network } from './network';

/** A function that uses the stores: something with a role and a security group. */
export type StorageClient = iam.IGrantable & ec2.IConnectable;

export interface StorageProps {
  readonly network: Network;
  readonly databaseInstanceType: ec2.InstanceType;
  readonly multiAz: boolean;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  /** Deletion protection, and a final snapshot (database) / retained secrets when the stack goes. */
  readonly protectData: boolean;
  /**
   * LocalStack: a one-node ElastiCache cluster without TLS or users (LocalStack implements neither
   * serverless caches nor ElastiCache users), and no TLS to the proxy. Never for AWS.
   */
  readonly localstack?: boolean;
}

export class Storage extends Construct {
  static readonly DATABASE_NAME = 'customersignal';
  static readonly DATABASE_USER = 'customersignal';
  static readonly POSTGRES_PORT = 5432;
  static readonly REDIS_USER = 'customersignal';
  /** Serverless caches listen on 6379 (primary) and 6380 (reads from replicas). */
  static readonly REDIS_PORTS = ec2.Port.tcpRange(6379, 6380);

  readonly database: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  /** Username and password of the database, generated at deploy time; never copied into env. */
  readonly databaseSecret: secretsmanager.ISecret;
  /** {username, password} of the Redis user (not with localstack). */
  readonly redisSecret?: secretsmanager.Secret;
  readonly cache: elasticache.CfnServerlessCache | elasticache.CfnCacheCluster;
  private readonly cacheConnections: ec2.Connections;
  private readonly redisUrl: string;
  private readonly localstack: boolean;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { vpc, dataSubnets } = props.network;
    this.localstack = props.localstack ?? false;
    const removalPolicy = props.protectData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;

    // TLS from the proxy to the database too, not only from clients to the proxy.
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      parameters: { 'rds.force_ssl': this.localstack ? '0' : '1' },
    });
    this.database = new rds.DatabaseInstance(this, 'Postgres', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      instanceType: props.databaseInstanceType,
      vpc,
      vpcSubnets: dataSubnets,
      databaseName: Storage.DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(Storage.DATABASE_USER),
      parameterGroup,
      storageEncrypted: true,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      multiAz: props.multiAz,
      backupRetention: Duration.days(props.backupRetentionDays),
      deletionProtection: props.protectData,
      removalPolicy,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
      enablePerformanceInsights: false,
    });
    this.databaseSecret = this.database.secret!;

    // Lambdas scale out to many short-lived connections; the proxy pools them. postgres.js
    // must run with prepare: false behind it (DATABASE_PREPARE=false in `environment`).
    this.proxy = this.database.addProxy('Proxy', {
      secrets: [this.databaseSecret],
      vpc,
      vpcSubnets: dataSubnets,
      requireTLS: !this.localstack,
      // Clients sign in with the secret's password (read by adapters/aws/resolve.ts at cold start).
      iamAuth: false,
    });

    const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc,
      description: 'ElastiCache Serverless Redis',
      allowAllOutbound: false,
    });
    this.cacheConnections = new ec2.Connections({ securityGroups: [cacheSecurityGroup], defaultPort: Storage.REDIS_PORTS });

    if (this.localstack) {
      const subnetGroup = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
        description: 'CustomerSignal Redis (LocalStack)',
        subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
      });
      const cluster = new elasticache.CfnCacheCluster(this, 'Redis', {
        engine: 'redis',
        cacheNodeType: 'cache.t3.micro',
        numCacheNodes: 1,
        cacheSubnetGroupName: subnetGroup.ref,
        vpcSecurityGroupIds: [cacheSecurityGroup.securityGroupId],
      });
      this.cache = cluster;
      this.redisUrl = `redis://${cluster.attrRedisEndpointAddress}:${cluster.attrRedisEndpointPort}`;
      return;
    }

    // Redis RBAC: a user group whose "default" user is switched off, and the app's password user.
    const stackName = Stack.of(this).stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const redisSecret = (this.redisSecret = new secretsmanager.Secret(this, 'RedisSecret', {
      description: 'CustomerSignal ElastiCache user',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: Storage.REDIS_USER }),
        generateStringKey: 'password',
        // ElastiCache passwords: 16-128 printable characters without @, ", / or spaces; alphanumerics keep it simple.
        excludePunctuation: true,
        passwordLength: 48,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    }));
    const defaultUser = new elasticache.CfnUser(this, 'RedisDefaultUser', {
      engine: 'redis',
      userId: `${stackName}-default`.slice(0, 40),
      userName: 'default',
      // Every user group needs a user named "default"; this one can do nothing.
      accessString: 'off -@all',
      noPasswordRequired: true,
    });
    const appUser = new elasticache.CfnUser(this, 'RedisAppUser', {
      engine: 'redis',
      userId: `${stackName}-app`.slice(0, 40),
      userName: Storage.REDIS_USER,
      // All keys and commands: the version-guard Lua scripts and the rate limiter need EVALSHA, INFO, etc.
      accessString: 'on ~* +@all',
      authenticationMode: { Type: 'password', Passwords: [redisSecret.secretValueFromJson('password').unsafeUnwrap()] },
    });
    const userGroup = new elasticache.CfnUserGroup(this, 'RedisUsers', {
      engine: 'redis',
      userGroupId: `${stackName}-users`.slice(0, 40),
      userIds: [defaultUser.userId, appUser.userId],
    });
    // The ids above are plain strings, not references: order the creation explicitly.
    userGroup.node.addDependency(defaultUser, appUser);

    const cache = new elasticache.CfnServerlessCache(this, 'Redis', {
      serverlessCacheName: `${stackName}-cache`,
      engine: 'redis',
      majorEngineVersion: '7',
      // Serverless caches encrypt at rest always and accept TLS connections only (hence rediss://).
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
      securityGroupIds: [cacheSecurityGroup.securityGroupId],
      userGroupId: userGroup.userGroupId,
      snapshotRetentionLimit: props.protectData ? 7 : 0,
    });
    cache.node.addDependency(userGroup);
    cache.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.cache = cache;
    this.redisUrl = `rediss://${cache.attrEndpointAddress}:${cache.attrEndpointPort}`;
  }

  /** Env of a Postgres client: the URL carries no password; the secret's ARN travels instead. */
  get postgresEnvironment(): Record<string, string> {
    return {
      DATABASE_URL: `postgres://${Storage.DATABASE_USER}@${this.proxy.endpoint}:${Storage.POSTGRES_PORT}/${Storage.DATABASE_NAME}?sslmode=${this.localstack ? 'prefer' : 'require'}`,
      DATABASE_SECRET_ARN: this.databaseSecret.secretArn,
      // RDS Proxy pins a connection for every prepared statement; postgres.js must not prepare.
      DATABASE_PREPARE: 'false',
    };
  }

  /** rediss:// (TLS) and the user's secret; plain redis:// on LocalStack. */
  get redisEnvironment(): Record<string, string> {
    return { REDIS_URL: this.redisUrl, ...(this.redisSecret && { REDIS_SECRET_ARN: this.redisSecret.secretArn }) };
  }

  /** Network path to the proxy, read access to the database secret, proxy connect. */
  grantPostgres(client: StorageClient): void {
    this.databaseSecret.grantRead(client);
    this.proxy.connections.allowFrom(client, ec2.Port.tcp(Storage.POSTGRES_PORT), 'Postgres through RDS Proxy');
  }

  /** Network path to Redis and read access to its user's secret. */
  grantRedis(client: StorageClient): void {
    this.redisSecret?.grantRead(client);
    this.cacheConnections.allowDefaultPortFrom(client, 'Redis');
  }
}
