// Postgres (the truth), behind RDS Proxy where the stage has one, with Secrets Manager credentials:
// the master user for the migrations only, a least-privilege role for every other function. And
// ElastiCache Serverless Valkey (the speed, Redis-compatible) with TLS and a password user.
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
  /**
   * RDS Proxy in front of the instance (pools the Lambdas' connections; its TLS certificate is from
   * ACM). Without it the functions connect to the instance directly (RDS CA, verified through the
   * Lambda runtime's CA file). @default true
   */
  readonly proxy?: boolean;
}

/** Lambda's Node 20+ runtimes do not load it by default; it holds the Amazon RDS CAs (docs/aws.md). */
export const LAMBDA_CA_FILE = '/var/runtime/ca-cert.pem';

export class Storage extends Construct {
  static readonly DATABASE_NAME = 'customersignal';
  /** The master user: the migrations function only. */
  static readonly DATABASE_USER = 'customersignal';
  /** The functions' role, created and granted by adapters/postgres/migrations/013_app_role.sql. */
  static readonly APP_DATABASE_USER = 'customersignal_app';
  static readonly POSTGRES_PORT = 5432;
  static readonly REDIS_USER = 'customersignal';
  /** Serverless caches listen on 6379 (primary) and 6380 (reads from replicas). */
  static readonly REDIS_PORTS = ec2.Port.tcpRange(6379, 6380);

  readonly database: rds.DatabaseInstance;
  /** Absent on stages with `dbProxy: false`. */
  readonly proxy?: rds.DatabaseProxy;
  /** Username and password of the master user, generated at deploy time; read by the migrations function only. */
  readonly databaseSecret: secretsmanager.ISecret;
  /** {username, password} of the app role (customersignal_app); the migrations set its password from here. */
  readonly appDatabaseSecret: secretsmanager.Secret;
  /** {username, password} of the Redis user (not with localstack). */
  readonly redisSecret?: secretsmanager.Secret;
  readonly cache: elasticache.CfnServerlessCache | elasticache.CfnCacheCluster;
  /** The serverless cache's name (CloudWatch dimension clusterId); undefined on LocalStack. */
  readonly cacheName?: string;
  readonly cacheConnections: ec2.Connections;
  /** What the functions connect to: the proxy, or the instance. */
  private readonly postgresConnections: ec2.Connections;
  private readonly postgresHost: string;
  private readonly redisUrl: string;
  private readonly localstack: boolean;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { vpc, dataSubnets } = props.network;
    this.localstack = props.localstack ?? false;
    const removalPolicy = props.protectData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;
    const secretRemovalPolicy = props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

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
    this.database.secret!.applyRemovalPolicy(secretRemovalPolicy);
    this.appDatabaseSecret = new secretsmanager.Secret(this, 'AppUserSecret', {
      description: 'CustomerSignal database role of the functions (least privilege)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: Storage.APP_DATABASE_USER }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 40,
      },
      removalPolicy: secretRemovalPolicy,
    });

    if (props.proxy ?? true) {
      // Lambdas scale out to many short-lived connections; the proxy pools them. postgres.js
      // must run with prepare: false behind it (DATABASE_PREPARE=false in `environment`).
      // One secret per database user the proxy signs in as.
      this.proxy = this.database.addProxy('Proxy', {
        secrets: [this.databaseSecret, this.appDatabaseSecret],
        vpc,
        vpcSubnets: dataSubnets,
        requireTLS: !this.localstack,
        // Clients sign in with the secret's password (read by adapters/aws/resolve.ts at cold start).
        iamAuth: false,
      });
      this.postgresConnections = this.proxy.connections;
      this.postgresHost = this.proxy.endpoint;
    } else {
      this.postgresConnections = this.database.connections;
      this.postgresHost = this.database.dbInstanceEndpointAddress;
    }

    const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc,
      description: 'ElastiCache Serverless Valkey',
      allowAllOutbound: false,
    });
    this.cacheConnections = new ec2.Connections({
      securityGroups: [cacheSecurityGroup],
      defaultPort: Storage.REDIS_PORTS,
    });

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

    // RBAC: a user group whose "default" user is switched off, and the app's password user.
    const stackName = Stack.of(this)
      .stackName.toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    const redisSecret = (this.redisSecret = new secretsmanager.Secret(this, 'RedisSecret', {
      description: 'CustomerSignal ElastiCache user',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: Storage.REDIS_USER }),
        generateStringKey: 'password',
        // ElastiCache passwords: 16-128 printable characters without @, ", / or spaces; alphanumerics keep it simple.
        excludePunctuation: true,
        passwordLength: 48,
      },
      removalPolicy: secretRemovalPolicy,
    }));
    const defaultUser = new elasticache.CfnUser(this, 'RedisDefaultUser', {
      engine: 'valkey',
      userId: `${stackName}-default`.slice(0, 40),
      userName: 'default',
      // Every user group needs a user named "default"; this one can do nothing.
      accessString: 'off -@all',
      noPasswordRequired: true,
    });
    const appUser = new elasticache.CfnUser(this, 'RedisAppUser', {
      engine: 'valkey',
      userId: `${stackName}-app`.slice(0, 40),
      userName: Storage.REDIS_USER,
      // All keys and commands: the version-guard Lua scripts and the rate limiter need EVALSHA, INFO, etc.
      accessString: 'on ~* +@all',
      authenticationMode: { Type: 'password', Passwords: [redisSecret.secretValueFromJson('password').unsafeUnwrap()] },
    });
    const userGroup = new elasticache.CfnUserGroup(this, 'RedisUsers', {
      engine: 'valkey',
      userGroupId: `${stackName}-users`.slice(0, 40),
      userIds: [defaultUser.userId, appUser.userId],
    });
    // The ids above are plain strings, not references: order the creation explicitly.
    userGroup.node.addDependency(defaultUser, appUser);

    // Valkey, not Redis OSS: the same protocol, commands and Lua (ioredis talks to it unchanged), at
    // ~1/15 of the idle cost (a 100 MB minimum instead of 1 GB, and a lower GB-hour price; docs/aws.md).
    this.cacheName = `${stackName}-cache`;
    const cache = new elasticache.CfnServerlessCache(this, 'Redis', {
      serverlessCacheName: this.cacheName,
      engine: 'valkey',
      majorEngineVersion: '8',
      // Serverless caches encrypt at rest always and accept TLS connections only (hence rediss://).
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
      securityGroupIds: [cacheSecurityGroup.securityGroupId],
      userGroupId: userGroup.userGroupId,
      snapshotRetentionLimit: props.protectData ? 7 : 0,
    });
    cache.node.addDependency(userGroup);
    // A cache: rebuilt from Postgres (`customersignal rebuild`), so never retained.
    cache.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.cache = cache;
    this.redisUrl = `rediss://${cache.attrEndpointAddress}:${cache.attrEndpointPort}`;
  }

  /**
   * Env of a Postgres client (the app role): the URL carries no password; the secret's ARN travels
   * instead. TLS with the certificate verified: RDS Proxy presents an ACM certificate (Amazon Trust
   * Services roots, in Node's own store), the instance an RDS CA certificate (in the Lambda runtime's
   * CA file, loaded through NODE_EXTRA_CA_CERTS).
   */
  get postgresEnvironment(): Record<string, string> {
    return this.postgresEnvironmentFor(Storage.APP_DATABASE_USER, this.appDatabaseSecret);
  }

  /** The migrations function's env: the master user (it creates the app role and sets its password). */
  get migrationsEnvironment(): Record<string, string> {
    return {
      ...this.postgresEnvironmentFor(Storage.DATABASE_USER, this.databaseSecret),
      DATABASE_APP_SECRET_ARN: this.appDatabaseSecret.secretArn,
    };
  }

  private postgresEnvironmentFor(user: string, secret: secretsmanager.ISecret): Record<string, string> {
    return {
      DATABASE_URL: `postgres://${user}@${this.postgresHost}:${Storage.POSTGRES_PORT}/${Storage.DATABASE_NAME}?sslmode=${this.localstack ? 'prefer' : 'verify-full'}`,
      DATABASE_SECRET_ARN: secret.secretArn,
      // RDS Proxy pins a connection for every prepared statement; postgres.js must not prepare.
      DATABASE_PREPARE: this.proxy ? 'false' : 'true',
      // One or two connections per container: a Lambda container handles one invocation at a time.
      DATABASE_POOL_SIZE: '2',
      NODE_EXTRA_CA_CERTS: LAMBDA_CA_FILE,
    };
  }

  /** rediss:// (TLS) and the user's secret; plain redis:// on LocalStack. */
  get redisEnvironment(): Record<string, string> {
    return { REDIS_URL: this.redisUrl, ...(this.redisSecret && { REDIS_SECRET_ARN: this.redisSecret.secretArn }) };
  }

  /**
   * The app role's secret and a network path to Postgres (the proxy, or the instance). The rule is
   * added from the client's side, so it lives in the client's stack and this (stateful) stack never
   * references the functions.
   */
  grantPostgres(client: StorageClient): void {
    this.appDatabaseSecret.grantRead(client);
    this.allowPostgresFrom(client);
  }

  /** The master secret: the migrations function alone. */
  grantPostgresMaster(client: StorageClient): void {
    this.databaseSecret.grantRead(client);
    this.appDatabaseSecret.grantRead(client);
    this.allowPostgresFrom(client);
  }

  private allowPostgresFrom(client: StorageClient): void {
    client.connections.allowTo(this.postgresConnections, ec2.Port.tcp(Storage.POSTGRES_PORT), 'Postgres');
  }

  /** Network path to the cache and read access to its user's secret. */
  grantRedis(client: StorageClient): void {
    this.redisSecret?.grantRead(client);
    client.connections.allowTo(this.cacheConnections, Storage.REDIS_PORTS, 'Valkey');
  }
}
