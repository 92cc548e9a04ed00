import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HTTP_ROUTES, type RouteKey } from '../functions/routes';
import { parseRouteKey } from './api';
import { CustomerSignalStack } from './customersignal-stack';
import { Web } from './web';

type Resource = { Type: string; Properties: Record<string, any> };

/** The app's feature flags from cdk.json, and no bundling: tests never run esbuild. */
function testApp(): App {
  const { context } = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
}

const NO_SPA_BUILD = path.join(tmpdir(), 'customersignal-no-such-dist');

let stack: CustomerSignalStack;
let template: Template;
/** Logical id of an L2 construct's CloudFormation resource. */
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

beforeAll(() => {
  stack = new CustomerSignalStack(testApp(), 'CustomerSignal', { webDistDir: NO_SPA_BUILD });
  template = Template.fromStack(stack);
});

describe('functions', () => {
  it('runs ingest, query, aggregate and maintenance on Node 20, arm64, inside the VPC', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    for (const fn of stack.functions.all) {
      const props = (fns[logicalId(fn)] as Resource).Properties;
      expect(props).toMatchObject({ Runtime: 'nodejs20.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(props.VpcConfig.SubnetIds).toHaveLength(2);
      expect(props.Environment.Variables).toMatchObject({ DATABASE_PREPARE: 'false', POWERTOOLS_SERVICE_NAME: 'customersignal' });
    }
  });

  it('puts no password-looking value in any function environment', () => {
    const passwordLike = /password|resolve:secretsmanager|SecretString|:\/\/[^/@\s:]+:[^/@\s]+@/i;
    for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
      const variables = (fn as Resource).Properties.Environment?.Variables ?? {};
      for (const [name, value] of Object.entries(variables)) {
        expect({ id, name, value: JSON.stringify(value) }).toEqual({ id, name, value: expect.not.stringMatching(passwordLike) });
      }
    }
    // The secret travels by reference.
    const ingestEnv = (template.findResources('AWS::Lambda::Function')[logicalId(stack.functions.ingest)] as Resource).Properties.Environment.Variables;
    expect(ingestEnv.DATABASE_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^StoragePostgresSecret/) });
  });

  it('lets only ingest and aggregate write to Kafka, each to its own topics', () => {
    const writersOf = (topic: string) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([, p]) =>
          (p as Resource).Properties.PolicyDocument.Statement.some(
            (s: { Action: string | string[]; Resource: unknown }) =>
              [s.Action].flat().includes('kafka-cluster:WriteData') && JSON.stringify(s.Resource).includes(`/${topic}"`),
          ),
        )
        .map(([id]) => id);
    expect(writersOf('events_raw')).toEqual([expect.stringMatching(/^FunctionsIngest/)]);
    expect(writersOf('metric_updates')).toEqual([expect.stringMatching(/^FunctionsAggregate/)]);
    expect(writersOf('events_dlq')).toEqual([expect.stringMatching(/^FunctionsAggregate/)]);
  });

  it('lets maintenance read the aggregate group\'s offsets (consumer lag, caught_up_through) but not consume', () => {
    const statementsOf = (prefix: RegExp) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => prefix.test(id))
        .flatMap(([, p]) => (p as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const maintenance = statementsOf(/^FunctionsMaintenance/);
    const actions = maintenance.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['kafka-cluster:Connect', 'kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeGroup']));
    expect(actions).not.toContain('kafka-cluster:ReadData');
    expect(actions).not.toContain('kafka-cluster:AlterGroup');
    expect(JSON.stringify(maintenance.filter((s) => [s.Action].flat().includes('kafka-cluster:DescribeGroup')))).toContain('/aggregate"');
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
      expect(uri).toEqual({ "Fn::GetAtt": [fnIds[target], "Arn"] });
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
    template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
  });

  it('feeds events_raw to aggregate in batches of 100 from the oldest offset, with an on-failure queue', () => {
    const queueId = logicalId(stack.eventSources.aggregateOnFailure);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.functions.aggregate) },
      Topics: ['events_raw'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'aggregate' },
      BatchSize: 100,
      // Unset = Lambda's 500 ms default for Kafka; CloudFormation cannot say 500 ms.
      MaximumBatchingWindowInSeconds: Match.absent(),
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('runs maintenance every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.functions.maintenance), 'Arn'] } })],
    });
  });
});

describe('storage', () => {
  it('runs Postgres 15 behind an RDS Proxy that requires TLS', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', EngineVersion: '15', StorageEncrypted: true });
    template.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
  });

  it('has a serverless Redis cache in its own security group', () => {
    const caches = Object.values(template.findResources('AWS::ElastiCache::ServerlessCache')) as Resource[];
    expect(caches).toHaveLength(1);
    expect(caches[0]!.Properties).toMatchObject({ Engine: 'redis', SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageCacheSecurityGroup/), 'GroupId'] }] });
    expect(caches[0]!.Properties.SubnetIds).toHaveLength(2);
  });
});

describe('web', () => {
  it('serves a private bucket through CloudFront with origin access control and SPA fallback', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [Match.anyValue(), 'Id'] } })],
        CustomErrorResponses: [403, 404].map((code) =>
          Match.objectLike({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: '/index.html' }),
        ),
      }),
    });
  });

  it('deploys the SPA only when a build exists', () => {
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);

    const dist = mkdtempSync(path.join(tmpdir(), 'customersignal-dist-'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html>');
    const webStack = new Stack(testApp(), 'WebOnly');
    new Web(webStack, 'Web', { distDir: dist });
    Template.fromStack(webStack).resourceCountIs('Custom::CDKBucketDeployment', 1);
  });

  it('outputs the API and dashboard URLs', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('DashboardUrl', {});
  });
});
