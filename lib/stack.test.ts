import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HTTP_ROUTES, type RouteKey } from '../functions/routes';
import { parseRouteKey } from './api';
import { CustomerSignalStack } from './customersignal-stack';
import { migrationsDigest } from './migrations';
import { acknowledgeFindings } from './nag';
import { stageFromContext } from './stage';
import { API_PATH_PATTERNS, SPA_REWRITE_SOURCE, Web } from './web';
import { KAFKA_MAX_MESSAGE_BYTES } from '../adapters/kafka/limits';

// Synthesized CloudFormation is untyped JSON that the assertions walk freely (Properties.Environment.Variables, …).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resource = { Type: string; Properties: Record<string, any> };

/** The app's feature flags from cdk.json, and no bundling: tests never run esbuild. */
function testApp(): App {
  const { context } = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
}

const NO_SPA_BUILD = path.join(tmpdir(), 'customersignal-no-such-dist');
/** The dashboard build, as `npm run cdk:deploy` makes it before `cdk deploy`: with it, the stack has a BucketDeployment. */
const SPA_BUILD = path.join(__dirname, '..', 'frontend', 'dist');

let app: App;
let stack: CustomerSignalStack;
/** The stateless stack (functions, API, dashboard, alarms) and the stateful one (VPC, MSK, Postgres, cache). */
let template: Template;
let dataTemplate: Template;
/** Logical id of an L2 construct's CloudFormation resource, in whichever stack it lives. */
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(construct as never).getLogicalId(construct.node.defaultChild as CfnElement);
/** A value the stateless stack reads from the stateful one (an output of the data stack). */
const fromData = (outputName: RegExp) => ({
  'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(outputName) }),
});

beforeAll(() => {
  // Synth the way the deploy commands do: after `npm run build:web` (about 2 s; vite, no network).
  if (!existsSync(path.join(SPA_BUILD, 'index.html'))) {
    execFileSync('npm', ['run', 'build:web'], { cwd: path.join(__dirname, '..'), stdio: 'ignore', timeout: 120_000 });
  }
  app = testApp();
  stack = new CustomerSignalStack(app, 'CustomerSignal');
  // As bin/app.ts does: cdk-nag's AwsSolutions checks run when the app synthesizes.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  acknowledgeFindings(stack);
  template = Template.fromStack(stack);
  dataTemplate = Template.fromStack(stack.data);
});

describe('functions', () => {
  it('runs every function on Node 22, arm64, inside the VPC, with the Postgres, Redis and MSK settings', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    expect(stack.functions.all).toHaveLength(7);
    for (const fn of stack.functions.all) {
      const props = (fns[logicalId(fn)] as Resource).Properties;
      expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(props.VpcConfig.SubnetIds).toHaveLength(2);
      expect(props.Environment.Variables).toMatchObject({
        DATABASE_PREPARE: 'false',
        DATABASE_POOL_SIZE: '2',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        POWERTOOLS_SERVICE_NAME: 'customersignal',
        KAFKA_AUTH: 'aws-iam',
        KAFKA_MSK_CLUSTER_ARN: fromData(/StreamingCluster/),
        REDIS_SECRET_ARN: fromData(/StorageRedisSecret/),
        REDIS_URL: {
          'Fn::Join': ['', [expect.stringMatching(/^rediss:\/\//), expect.anything(), ':', expect.anything()]],
        },
      });
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      // The least-privilege role, with the certificate verified.
      expect(JSON.stringify(props.Environment.Variables.DATABASE_URL)).toMatch(
        /postgres:\/\/customersignal_app@.*sslmode=verify-full/,
      );
    }
  });

  it('wires the alert engine and the dispatcher by their entry paths and exports', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const handlerOf = (fn: { node: { defaultChild?: unknown } }) => (fns[logicalId(fn)] as Resource).Properties.Handler;
    expect(handlerOf(stack.functions.alert)).toBe('index.handler');
    expect(handlerOf(stack.functions.alertTick)).toBe('index.tickHandler');
    expect(handlerOf(stack.functions.dispatch)).toBe('index.handler');
  });

  it('gives the dispatcher no SMTP settings while the stage names no sender', () => {
    const env = (template.findResources('AWS::Lambda::Function')[logicalId(stack.functions.dispatch)] as Resource)
      .Properties.Environment.Variables;
    expect(env.SMTP_HOST).toBeUndefined();
  });

  it("gives the functions that build links APP_URL (the dashboard's CloudFront origin when the stage names none), and the query function alone the SSO key", () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const queryEnv = (fns[logicalId(stack.functions.query)] as Resource).Properties.Environment.Variables;
    for (const fn of [stack.functions.query, stack.functions.dispatch, stack.admin.function])
      expect((fns[logicalId(fn)] as Resource).Properties.Environment.Variables.APP_URL).toEqual({
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.web.distribution), 'DomainName'] }]],
      });
    expect(queryEnv.SSO_SECRET_KEY_ARN).toEqual(fromData(/SsoSecretKey/));
    for (const [id, fn] of Object.entries(fns))
      if (id !== logicalId(stack.functions.query))
        expect((fn as Resource).Properties.Environment?.Variables?.SSO_SECRET_KEY_ARN).toBeUndefined();
    // Only the query function's role may read the key's secret.
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify((p as Resource).Properties.PolicyDocument).includes('SsoSecretKey'),
    );
    expect(readers).toHaveLength(1);
    expect(JSON.stringify((readers[0] as Resource).Properties.Roles)).toContain('FunctionsQuery');
    dataTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'key', PasswordLength: 64 }),
    });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  it('lets only the migrations function read the master secret; every other function signs in as the app role', () => {
    const masterSecretReaders = Object.entries(dataTemplate.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify((p as Resource).Properties.PolicyDocument).includes('StoragePostgresSecret'))
      .map(([id]) => id);
    // The migrations function, and RDS Proxy, which signs in to the instance with it.
    expect(masterSecretReaders.sort()).toEqual([
      expect.stringMatching(/^MigrationsFunction/),
      expect.stringMatching(/^StoragePostgresProxyIAMRole/),
    ]);
    expect(JSON.stringify(template.toJSON())).not.toContain('StoragePostgresSecret');
    const migrationsEnv = (
      dataTemplate.findResources('AWS::Lambda::Function')[logicalId(stack.migrations.function)] as Resource
    ).Properties.Environment.Variables;
    expect(JSON.stringify(migrationsEnv.DATABASE_URL)).toContain('postgres://customersignal@');
    expect(migrationsEnv.DATABASE_APP_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^StorageAppUserSecret/) });
  });

  it('puts no password-looking value in any function environment', () => {
    const passwordLike = /password|resolve:secretsmanager|SecretString|:\/\/[^/@\s:]+:[^/@\s]+@/i;
    for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
      const variables = (fn as Resource).Properties.Environment?.Variables ?? {};
      for (const [name, value] of Object.entries(variables)) {
        expect({ id, name, value: JSON.stringify(value) }).toEqual({
          id,
          name,
          value: expect.not.stringMatching(passwordLike),
        });
      }
    }
    // The secret travels by reference.
    const ingestEnv = (template.findResources('AWS::Lambda::Function')[logicalId(stack.functions.ingest)] as Resource)
      .Properties.Environment.Variables;
    expect(ingestEnv.DATABASE_SECRET_ARN).toEqual(fromData(/^PublishOutputRefStorageAppUserSecret/));
  });

  it('lets only ingest and aggregate write to Kafka, each to its own topics', () => {
    const writersOf = (topic: string) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([, p]) =>
          (p as Resource).Properties.PolicyDocument.Statement.some(
            (s: { Action: string | string[]; Resource: unknown }) =>
              [s.Action].flat().includes('kafka-cluster:WriteData') &&
              JSON.stringify(s.Resource).includes(`/${topic}"`),
          ),
        )
        .map(([id]) => id);
    expect(writersOf('events_raw')).toEqual([expect.stringMatching(/^FunctionsIngest/)]);
    expect(writersOf('metric_updates')).toEqual([expect.stringMatching(/^FunctionsAggregate/)]);
    expect(writersOf('events_dlq')).toEqual([expect.stringMatching(/^FunctionsAggregate/)]);
  });

  it("lets maintenance read the aggregate group's offsets (consumer lag, caught_up_through) but not consume", () => {
    const statementsOf = (prefix: RegExp) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => prefix.test(id))
        .flatMap(
          ([, p]) =>
            (p as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
        );
    const maintenance = statementsOf(/^FunctionsMaintenance/);
    const actions = maintenance.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['kafka-cluster:Connect', 'kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeGroup']),
    );
    expect(actions).not.toContain('kafka-cluster:ReadData');
    expect(actions).not.toContain('kafka-cluster:AlterGroup');
    expect(
      JSON.stringify(maintenance.filter((s) => [s.Action].flat().includes('kafka-cluster:DescribeGroup'))),
    ).toContain('/aggregate"');
  });
});

describe('api', () => {
  it('has one route per HTTP_ROUTES entry, integrated with the function named there', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const fnIds = { ingest: logicalId(stack.functions.ingest), query: logicalId(stack.functions.query) };
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(Object.keys(HTTP_ROUTES).sort());
    for (const route of routes) {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      const uri = (integrations[integrationId] as Resource).Properties.IntegrationUri;
      const target = HTTP_ROUTES[route.Properties.RouteKey as RouteKey];
      expect(uri).toEqual({ 'Fn::GetAtt': [fnIds[target], 'Arn'] });
    }
  });

  it('throttles the $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('rejects route keys API Gateway would not accept', () => {
    expect(parseRouteKey('GET /v1/metrics')).toEqual(['GET', '/v1/metrics']);
    expect(() => parseRouteKey('FETCH /v1/metrics')).toThrow(/not "<METHOD> \/path"/);
    expect(() => parseRouteKey('/v1/metrics')).toThrow();
  });
});

describe('streaming', () => {
  it('is an MSK Serverless cluster with IAM client auth', () => {
    // The dev stage in cdk.json runs provisioned brokers; the defaults (this stack) are Serverless.
    dataTemplate.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
  });

  it('feeds events_raw to aggregate and metric_updates to alert, each with an on-failure queue, after topics and schema exist', () => {
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping');
    const cases = [
      {
        fn: stack.functions.aggregate,
        topic: 'events_raw',
        group: 'aggregate',
        batch: 500,
        queue: stack.eventSources.aggregateOnFailure,
      },
      {
        fn: stack.functions.alert,
        topic: 'metric_updates',
        group: 'alert',
        batch: 100,
        queue: stack.eventSources.alertOnFailure,
      },
    ];
    for (const c of cases) {
      const [id, mapping] = Object.entries(mappings).find(
        ([, m]) => JSON.stringify((m as Resource).Properties.FunctionName) === JSON.stringify({ Ref: logicalId(c.fn) }),
      )!;
      expect((mapping as Resource).Properties).toMatchObject({
        Topics: [c.topic],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: c.group },
        BatchSize: c.batch,
        MaximumBatchingWindowInSeconds: 1,
        StartingPosition: 'TRIM_HORIZON',
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(c.queue), 'Arn'] } } },
      });
      expect(id).toBeDefined();
    }
    // The topics and the schema are in the stateful stack, deployed before this one as a whole.
    expect(stack.dependencies).toContain(stack.data);
    expect(Stack.of(stack.streaming.topics!)).toBe(stack.data);
    expect(Stack.of(stack.migrations.resource)).toBe(stack.data);
  });

  it('lets alert consume metric_updates as group alert, and nothing more of Kafka than connecting', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => /^FunctionsAlert[A-Z0-9]/.test(id) && !/^FunctionsAlertTick/.test(id))
      .flatMap(
        ([, p]) =>
          (p as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const read = statements.filter((s) => [s.Action].flat().includes('kafka-cluster:ReadData'));
    expect(JSON.stringify(read)).toContain('/metric_updates"');
    expect(JSON.stringify(read)).not.toContain('/events_raw"');
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain('kafka-cluster:WriteData');
  });

  it('creates the three topics with their retention through a custom resource that may create only those', () => {
    const [topics] = Object.values(dataTemplate.findResources('Custom::KafkaTopics')) as Resource[];
    expect(topics!.Properties.MaxMessageBytes).toBe(String(KAFKA_MAX_MESSAGE_BYTES));
    const specs = JSON.parse(topics!.Properties.Specs);
    expect(specs.map((s: { topic: string }) => s.topic).sort()).toEqual(['events_dlq', 'events_raw', 'metric_updates']);
    for (const s of specs) expect(s.retentionMs).toBeGreaterThan(0);
    const topicsPolicy = Object.entries(dataTemplate.findResources('AWS::IAM::Policy')).filter(([id]) =>
      /^TopicsFunction/.test(id),
    );
    const create = topicsPolicy
      .flatMap(([, p]) => (p as Resource).Properties.PolicyDocument.Statement)
      .filter((s: { Action: string[] }) => [s.Action].flat().includes('kafka-cluster:CreateTopic'));
    expect(create).toHaveLength(1);
    expect(JSON.stringify(create[0].Resource)).not.toContain('*');
  });

  it('runs maintenance, the alert tick and the dispatcher every minute', () => {
    for (const fn of [stack.functions.maintenance, stack.functions.alertTick, stack.functions.dispatch]) {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] } })],
      });
    }
  });
});

describe('storage', () => {
  it('runs Postgres 15 behind an RDS Proxy that requires TLS and signs in as the master and the app role', () => {
    dataTemplate.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '15',
      StorageEncrypted: true,
    });
    dataTemplate.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
    const [proxy] = Object.values(dataTemplate.findResources('AWS::RDS::DBProxy')) as Resource[];
    expect(proxy!.Properties.Auth).toHaveLength(2);
  });

  it('has a serverless Valkey cache in its own security group, with a user group whose default user is off', () => {
    const caches = Object.values(dataTemplate.findResources('AWS::ElastiCache::ServerlessCache')) as Resource[];
    expect(caches).toHaveLength(1);
    expect(caches[0]!.Properties).toMatchObject({
      Engine: 'valkey',
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageCacheSecurityGroup/), 'GroupId'] }],
    });
    expect(caches[0]!.Properties.SubnetIds).toHaveLength(2);
    const users = Object.values(dataTemplate.findResources('AWS::ElastiCache::User')) as Resource[];
    const byName = Object.fromEntries(users.map((u) => [u.Properties.UserName, u.Properties]));
    expect(byName.default).toMatchObject({ AccessString: 'off -@all' });
    expect(JSON.stringify(byName.customersignal.AuthenticationMode)).toContain('resolve:secretsmanager');
    const [group] = Object.values(dataTemplate.findResources('AWS::ElastiCache::UserGroup')) as Resource[];
    expect(caches[0]!.Properties.UserGroupId).toBe(group!.Properties.UserGroupId);
  });

  it('forces TLS on the database itself and keeps the password out of every URL', () => {
    dataTemplate.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
  });

  it('applies the SQL migrations through a custom resource that reruns when a migration file changes', () => {
    const [resource] = Object.values(dataTemplate.findResources('Custom::Migrations')) as Resource[];
    expect(resource!.Properties.Digest).toBe(migrationsDigest());
    const dir = mkdtempSync(path.join(tmpdir(), 'customersignal-migrations-'));
    writeFileSync(path.join(dir, '001_a.sql'), 'select 1;');
    const before = migrationsDigest(dir);
    writeFileSync(path.join(dir, '002_b.sql'), 'select 2;');
    expect(migrationsDigest(dir)).not.toBe(before);
  });
});

describe('web', () => {
  it('serves a private bucket through CloudFront with origin access control, an SPA rewrite and the API on the same origin', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: Match.arrayWith([
          Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [Match.anyValue(), 'Id'] } }),
        ]),
        // No distribution-wide error pages: they would rewrite the API's own 403/404 too.
        CustomErrorResponses: Match.absent(),
        DefaultCacheBehavior: Match.objectLike({
          FunctionAssociations: [Match.objectLike({ EventType: 'viewer-request' })],
        }),
        CacheBehaviors: API_PATH_PATTERNS.map((pattern) =>
          Match.objectLike({
            PathPattern: pattern,
            AllowedMethods: Match.arrayWith(['PUT', 'PATCH', 'POST', 'DELETE']),
          }),
        ),
        Logging: Match.objectLike({ Bucket: Match.anyValue() }),
      }),
    });
  });

  it('rewrites SPA routes to index.html and leaves files alone', () => {
    const rewrite = new Function(`${SPA_REWRITE_SOURCE}; return handler;`)() as (e: { request: { uri: string } }) => {
      uri: string;
    };
    expect(rewrite({ request: { uri: '/metrics/signup' } }).uri).toBe('/index.html');
    expect(rewrite({ request: { uri: '/' } }).uri).toBe('/index.html');
    expect(rewrite({ request: { uri: '/assets/index-abc.js' } }).uri).toBe('/assets/index-abc.js');
  });

  it('deploys the SPA when a build exists (as in every deploy), and synths without one', () => {
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);

    const webStack = new Stack(testApp(), 'WebOnly');
    new Web(webStack, 'Web', { distDir: NO_SPA_BUILD, apiUrl: 'https://api.example.com/' });
    Template.fromStack(webStack).resourceCountIs('Custom::CDKBucketDeployment', 0);
  });

  it('empties and deletes both buckets with the stack unless the stage protects its data', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets) as (Resource & { DeletionPolicy?: string })[])
      expect(bucket.DeletionPolicy).toBe('Delete');
    expect(Object.keys(template.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(2);
  });

  it('keeps nothing after `cdk destroy` on a stage without protectData (no Retain or Snapshot policy in either stack)', () => {
    for (const t of [template, dataTemplate]) {
      const kept = Object.entries(t.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
        .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
        .map(([id, r]) => `${id} (${r.Type}: ${r.DeletionPolicy})`);
      expect(kept).toEqual([]);
    }
  });

  it('outputs the API and dashboard URLs', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('DashboardUrl', {});
  });
});

describe('ops', () => {
  it("alarms on API 5xx, every function's errors and throttles, Kafka offset lag and dead letters, to an encrypted topic", () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    const metrics = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`);
    expect(metrics).toContain('AWS/ApiGateway/5xx');
    expect(metrics.filter((m) => m === 'AWS/Lambda/Errors')).toHaveLength(7);
    expect(metrics.filter((m) => m === 'AWS/Lambda/Throttles')).toHaveLength(7);
    expect(metrics.filter((m) => m === 'AWS/Lambda/OffsetLag')).toHaveLength(2);
    expect(metrics).toContain('AWS/Kafka/MessagesInPerSec');
    expect(metrics.filter((m) => m === 'AWS/SQS/ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    for (const a of alarms) expect(a.Properties.AlarmActions).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('alarms on Postgres CPU, connections and free storage, RDS Proxy availability and pinning, and the cache', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    const metrics = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`);
    for (const m of [
      'AWS/RDS/CPUUtilization',
      'AWS/RDS/DatabaseConnections',
      'AWS/RDS/FreeStorageSpace',
      'AWS/RDS/AvailabilityPercentage',
      'AWS/RDS/DatabaseConnectionsCurrentlySessionPinned',
      'AWS/ElastiCache/ThrottledCmds',
      'AWS/ElastiCache/BytesUsedForCache',
    ]) {
      expect(metrics).toContain(m);
    }
    const free = alarms.find((a) => a.Properties.MetricName === 'FreeStorageSpace')!;
    expect(free.Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 2 * 1024 ** 3,
      TreatMissingData: 'breaching',
    });
  });
});

/**
 * The whole templates, beside the assertions above: any change to what would be deployed shows up in
 * review as a snapshot diff (update with `npx jest lib/stack.test.ts -u` when it is intended). Asset
 * hashes and the migrations digest change with every code edit and are masked.
 */
describe('template snapshots', () => {
  const masked = (t: Template) => JSON.parse(JSON.stringify(t.toJSON()).replace(/[0-9a-f]{64}/g, '<hash>'));

  it('stateless stack (functions, API, dashboard, schedules, alarms)', () => {
    expect(masked(template)).toMatchSnapshot();
  });

  it('stateful stack (VPC, MSK, Postgres, cache, topics, migrations)', () => {
    expect(masked(dataTemplate)).toMatchSnapshot();
  });
});

describe('stages and cdk-nag', () => {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  const nodeWith = (context: Record<string, unknown>) => new App({ context: { ...cdkJson.context, ...context } }).node;

  it('reads a stage from cdk.json and lets the command line override a key', () => {
    expect(stageFromContext(nodeWith({}))).toMatchObject({ name: 'dev', natGateways: 1, dbMultiAz: false });
    const prod = stageFromContext(nodeWith({ stage: 'prod', natGateways: '3' }));
    expect(prod).toMatchObject({
      name: 'prod',
      account: '111111111111',
      region: 'eu-west-1',
      natGateways: 3,
      dbMultiAz: true,
      protectData: true,
    });
    expect(() => stageFromContext(nodeWith({ stage: 'nope' }))).toThrow(/Unknown stage "nope"/);
    expect(() => stageFromContext(nodeWith({ natGateways: 'two' }))).toThrow(
      /natGateways must be a non-negative number/,
    );
  });

  it('leaves no AwsSolutions finding unacknowledged (dev stage)', () => {
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('leaves no AwsSolutions finding unacknowledged in the prod stage either (multi-AZ, protected data, SES sender)', () => {
    const azs = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.context.json'), 'utf8'));
    const prodApp = new App({ context: { ...cdkJson.context, ...azs, stage: 'prod', 'aws:cdk:bundling-stacks': [] } });
    const stage = stageFromContext(prodApp.node);
    const prod = new CustomerSignalStack(prodApp, 'CustomerSignal-prod', {
      stage,
      env: { account: stage.account, region: stage.region },
    });
    Validations.of(prodApp).addPlugins(new AwsSolutionsChecks(prodApp));
    acknowledgeFindings(prod);
    expect(() => prodApp.synth()).not.toThrow();
    const prodTemplate = Template.fromStack(prod);
    Template.fromStack(prod.data).hasResourceProperties('AWS::RDS::DBInstance', {
      MultiAZ: true,
      DeletionProtection: true,
    });
    const dispatchEnv = (
      prodTemplate.findResources('AWS::Lambda::Function')[
        prod.getLogicalId(prod.functions.dispatch.node.defaultChild as CfnElement)
      ] as Resource
    ).Properties.Environment.Variables;
    expect(dispatchEnv).toMatchObject({
      SMTP_HOST: 'email-smtp.eu-west-1.amazonaws.com',
      SMTP_PORT: '587',
      SMTP_FROM: 'alerts@example.com',
    });
    expect(dispatchEnv.SMTP_SECRET_ARN).toEqual(fromData(/EmailSmtpSecret/));
    // The alert function and its tick make the first delivery attempt: they get the same SMTP settings.
    for (const fn of [prod.functions.alert, prod.functions.alertTick]) {
      const env = (
        prodTemplate.findResources('AWS::Lambda::Function')[
          prod.getLogicalId(fn.node.defaultChild as CfnElement)
        ] as Resource
      ).Properties.Environment.Variables;
      expect(env).toMatchObject({
        SMTP_HOST: 'email-smtp.eu-west-1.amazonaws.com',
        SMTP_PORT: '587',
        SMTP_FROM: 'alerts@example.com',
      });
    }
  });

  it('adds a Cognito user pool and app client as an OIDC issuer when the stage asks (cognito), and cdk-nag still passes', () => {
    const cApp = new App({
      context: {
        ...cdkJson.context,
        cognito: 'true',
        appUrl: 'https://app.example.com',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const c = new CustomerSignalStack(cApp, 'CustomerSignal-cognito', { stage: stageFromContext(cApp.node) });
    Validations.of(cApp).addPlugins(new AwsSolutionsChecks(cApp));
    acknowledgeFindings(c);
    expect(() => cApp.synth()).not.toThrow();
    const t = Template.fromStack(c);
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      UsernameAttributes: ['email'],
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid', 'email', 'profile']),
      CallbackURLs: ['https://app.example.com/v1/auth/sso/callback'],
      SupportedIdentityProviders: ['COGNITO'],
    });
    t.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    const outputs = t.findOutputs('*');
    const described = Object.values(outputs).map((o) => String(o.Description));
    expect(described.some((d) => d.includes('"issuer" for PUT /v1/sso'))).toBe(true);
    expect(described.some((d) => d.includes('"client_id" for PUT /v1/sso'))).toBe(true);
    // With an appUrl the stage's value is the functions' APP_URL (shared), not the distribution.
    const queryEnv = (
      t.findResources('AWS::Lambda::Function')[
        c.getLogicalId(c.functions.query.node.defaultChild as CfnElement)
      ] as Resource
    ).Properties.Environment.Variables;
    expect(queryEnv.APP_URL).toBe('https://app.example.com');
  });

  it('can run provisioned MSK instead (a stage with mskBrokerType): IAM auth, TLS, broker logs, and cdk-nag still passes', () => {
    const pApp = new App({
      context: { ...cdkJson.context, mskBrokerType: 'kafka.m7g.large', 'aws:cdk:bundling-stacks': [] },
    });
    const p = new CustomerSignalStack(pApp, 'CustomerSignal-provisioned', { stage: stageFromContext(pApp.node) });
    Validations.of(pApp).addPlugins(new AwsSolutionsChecks(pApp));
    acknowledgeFindings(p);
    expect(() => pApp.synth()).not.toThrow();
    const t = Template.fromStack(p.data);
    t.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    // Broker limits sized with the producer's (adapters/kafka/limits.ts), through a cluster configuration.
    const [config] = Object.values(t.findResources('AWS::MSK::Configuration')) as Resource[];
    expect(config!.Properties.ServerProperties).toContain(`message.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`);
    expect(config!.Properties.ServerProperties).toContain(`replica.fetch.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`);
    t.hasResourceProperties('AWS::MSK::Cluster', {
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.m7g.large' }),
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      LoggingInfo: Match.objectLike({
        BrokerLogs: Match.objectLike({ CloudWatchLogs: Match.objectLike({ Enabled: true }) }),
      }),
    });
  });

  it('has a LocalStack stage that swaps what LocalStack cannot emulate, and still passes cdk-nag', () => {
    const lsApp = new App({ context: { ...cdkJson.context, stage: 'localstack', 'aws:cdk:bundling-stacks': [] } });
    const stage = stageFromContext(lsApp.node);
    const ls = new CustomerSignalStack(lsApp, 'CustomerSignal-localstack', { stage });
    Validations.of(lsApp).addPlugins(new AwsSolutionsChecks(lsApp));
    acknowledgeFindings(ls);
    expect(() => lsApp.synth()).not.toThrow();
    const t = Template.fromStack(ls.data);
    t.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    t.resourceCountIs('AWS::MSK::Cluster', 1);
    t.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    t.resourceCountIs('AWS::ElastiCache::User', 0);
    const env = (
      Template.fromStack(ls).findResources('AWS::Lambda::Function')[
        ls.getLogicalId(ls.functions.ingest.node.defaultChild as CfnElement)
      ] as Resource
    ).Properties.Environment.Variables;
    expect(env.KAFKA_AUTH).toBe('none');
    // Classic exports, which LocalStack's CloudFormation resolves (not Fn::GetStackOutput).
    expect(env.KAFKA_MSK_CLUSTER_ARN).toEqual({ 'Fn::ImportValue': expect.stringMatching(/StreamingCluster/) });
    expect(JSON.stringify(env.REDIS_URL)).toContain('redis://');
    expect(env.REDIS_SECRET_ARN).toBeUndefined();
  });

  it('keeps the dev stage of cdk.json cheap: no RDS Proxy, no interface endpoints, Valkey, small broker disks (docs/aws.md, Cost)', () => {
    const devApp = new App({ context: { ...cdkJson.context, stage: 'dev', 'aws:cdk:bundling-stacks': [] } });
    const dev = new CustomerSignalStack(devApp, 'CustomerSignal-dev', { stage: stageFromContext(devApp.node) });
    Validations.of(devApp).addPlugins(new AwsSolutionsChecks(devApp));
    acknowledgeFindings(dev);
    expect(() => devApp.synth()).not.toThrow();
    const data = Template.fromStack(dev.data);
    data.resourceCountIs('AWS::RDS::DBProxy', 0);
    data.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(
      Object.values(data.findResources('AWS::EC2::VPCEndpoint')).map(
        (e) => (e as Resource).Properties.VpcEndpointType ?? 'Gateway',
      ),
    ).toEqual(['Gateway']);
    data.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { Engine: 'valkey' });
    data.hasResourceProperties('AWS::MSK::Cluster', {
      BrokerNodeGroupInfo: Match.objectLike({
        InstanceType: 'kafka.t3.small',
        StorageInfo: { EBSStorageInfo: { VolumeSize: 10 } },
      }),
    });
    const env = (
      Template.fromStack(dev).findResources('AWS::Lambda::Function')[
        dev.getLogicalId(dev.functions.ingest.node.defaultChild as CfnElement)
      ] as Resource
    ).Properties.Environment.Variables;
    // Straight to the instance: prepared statements are fine, and the certificate is the RDS CA's.
    expect(env).toMatchObject({ DATABASE_PREPARE: 'true', NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' });
    expect(JSON.stringify(env.DATABASE_URL)).toContain('StoragePostgres');
  });

  it('refuses the email-smtp endpoint on an environment-agnostic stage (it is not offered in every AZ)', () => {
    const a = new App({
      context: { ...cdkJson.context, interfaceEndpoints: 'email-smtp', 'aws:cdk:bundling-stacks': [] },
    });
    expect(() => new CustomerSignalStack(a, 'CustomerSignal-smtp', { stage: stageFromContext(a.node) })).toThrow(
      /not offered in every availability zone/,
    );
  });

  it('acknowledges every finding with a written reason', () => {
    const acknowledged: { id: string; reason: string }[] = [];
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: unknown,
      ack: { id: string; reason: string },
    ) {
      acknowledged.push(ack);
    } as never);
    try {
      acknowledgeFindings(stack);
    } finally {
      spy.mockRestore();
    }
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const a of acknowledged) expect(a.reason.length).toBeGreaterThan(40);
  });
});
