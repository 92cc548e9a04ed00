// Postgres (the truth) behind RDS Proxy, and ElastiCache Serverless Redis (the speed).
import { Construct } from 'constructs';
import { Stack } from 'aws-cdk-lib';
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
  /** @default db.t4g.small */
  readonly databaseInstanceType?: ec2.InstanceType;
}

export class Storage extends Construct {
  static readonly DATABASE_NAME = 'customersignal';
  static readonly DATABASE_USER = 'customersignal';
  static readonly POSTGRES_PORT = 5432;
  /** Serverless caches listen on 6379 (primary) and 6380 (reads from replicas). */
  static readonly REDIS_PORTS = ec2.Port.tcpRange(6379, 6380);

  readonly database: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  /** Username and password of the database, generated at deploy time; never copied into env. */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly cache: elasticache.CfnServerlessCache;
  private readonly cacheConnections: ec2.Connections;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { vpc, dataSubnets } = props.network;

    this.database = new rds.DatabaseInstance(this, 'Postgres', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      instanceType: props.databaseInstanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL),
      vpc,
      vpcSubnets: dataSubnets,
      databaseName: Storage.DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(Storage.DATABASE_USER),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
    });
    this.databaseSecret = this.database.secret!;

    // Lambdas scale out to many short-lived connections; the proxy pools them. postgres.js
    // must run with prepare: false behind it (DATABASE_PREPARE=false in the function defaults).
    this.proxy = this.database.addProxy('Proxy', {
      secrets: [this.databaseSecret],
      vpc,
      vpcSubnets: dataSubnets,
      requireTLS: true,
      // Clients sign in with the secret's password for now; IAM auth (iamAuth: true and
      // rds-db:connect, already granted below) is the planned switch.
      iamAuth: false,
    });

    const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc,
      description: 'ElastiCache Serverless Redis',
      allowAllOutbound: false,
    });
    this.cacheConnections = new ec2.Connections({ securityGroups: [cacheSecurityGroup], defaultPort: Storage.REDIS_PORTS });
    this.cache = new elasticache.CfnServerlessCache(this, 'Redis', {
      serverlessCacheName: `${Stack.of(this).stackName}-cache`.toLowerCase(),
      engine: 'redis',
      majorEngineVersion: '7',
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
      securityGroupIds: [cacheSecurityGroup.securityGroupId],
    });
  }

  /** postgres.js connection string without the password (merged in from the secret at runtime). */
  get databaseUrl(): string {
    return `postgres://${Storage.DATABASE_USER}@${this.proxy.endpoint}:${Storage.POSTGRES_PORT}/${Storage.DATABASE_NAME}?sslmode=require`;
  }

  /** Serverless caches accept TLS only, hence rediss://. */
  get redisUrl(): string {
    return `rediss://${this.cache.attrEndpointAddress}:${this.cache.attrEndpointPort}`;
  }

  /** Network paths to the proxy and Redis, read access to the database secret, proxy connect. */
  grantReadWrite(client: StorageClient): void {
    this.databaseSecret.grantRead(client);
    this.proxy.grantConnect(client, Storage.DATABASE_USER);
    this.proxy.connections.allowFrom(client, ec2.Port.tcp(Storage.POSTGRES_PORT), 'Postgres through RDS Proxy');
    this.cacheConnections.allowDefaultPortFrom(client, 'Redis');
  }
}
