// Every cdk-nag AwsSolutions finding we accept, each on the narrowest construct and with the reason it
// is acceptable. Everything else is fixed in the constructs (see docs/operations.md#cdk-nag).
import { Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { CustomerSignalStack } from './customersignal-stack';

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

const MANAGED = (name: string) =>
  `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${name}]`;

/** Acknowledges the findings of the stateless stack and of its stateful stack (`stack.data`). */
export function acknowledgeFindings(stack: CustomerSignalStack): void {
  // --- Lambda roles (all functions, the custom-resource providers included), in both stacks
  for (const scope of [stack, stack.data]) {
    ack(
      scope,
      MANAGED('AWSLambdaBasicExecutionRole'),
      'AWS-maintained minimum for a function to write its own CloudWatch Logs (logs:CreateLogStream/PutLogEvents); an inline copy would only drift from it.',
    );
    ack(
      scope,
      MANAGED('AWSLambdaVPCAccessExecutionRole'),
      'AWS-maintained ENI permissions every VPC function needs (ec2:CreateNetworkInterface etc.); EC2 does not support resource-level scoping for these actions, so an inline policy would be the same wildcard.',
    );
    ack(
      scope,
      'AwsSolutions-L1',
      'nodejs22.x on purpose: the code is developed and tested on Node 20 locally, and 22 is the closest supported Lambda runtime (nodejs20.x creation is blocked from 2027-02-01); nodejs24.x is the next step once local dev moves. Provider-framework functions use the runtime aws-cdk-lib pins.',
    );
  }
  ack(
    stack,
    MANAGED('AWSLambdaMSKExecutionRole'),
    'Added by ManagedKafkaEventSource for the event-source poller (kafka:DescribeClusterV2, GetBootstrapBrokers, ENI actions in the cluster subnets); the data-plane actions (kafka-cluster:ReadData, AlterGroup) are granted per topic and group ARN in streaming.ts.',
  );

  // --- Custom-resource providers: the framework may invoke any version of its handler.
  for (const [provider, handler] of [
    [stack.streaming.node.findChild('TopicsProvider'), stack.topicsFunction],
    [stack.migrations.node.findChild('Provider'), stack.migrations.function],
  ] as const) {
    const handlerId = Stack.of(handler).getLogicalId(handler.node.defaultChild as CfnElement);
    ack(
      provider,
      `AwsSolutions-IAM5[Resource::<${handlerId}.Arn>:*]`,
      "CDK provider framework: lambda:InvokeFunction on its one handler function and that function's versions (<arn>:*).",
    );
  }

  // --- X-Ray (active tracing): xray:PutTraceSegments and PutTelemetryRecords support no resource-level
  // permissions, so Lambda's tracing grant is on "*" for every function.
  for (const fn of [...stack.functions.all, stack.admin.function, stack.topicsFunction, stack.migrations.function]) {
    ack(
      fn,
      'AwsSolutions-IAM5[Resource::*]',
      'Active tracing: Lambda adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" (X-Ray has no resource-level permissions for them); every other statement of this role names its resources.',
    );
  }

  // --- The dashboard upload: CDK's BucketDeployment runs one singleton handler per stack (a child of the
  // stack, whose id carries a hash and its memory size). Its policy is CDK's own; these are its wildcards.
  if (stack.web.deployment) {
    const bucketId = stack.getLogicalId(stack.web.bucket.node.defaultChild as CfnElement);
    const singletons = stack.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    // The bootstrap bucket's ARN as cdk-nag prints it: literal in a stack with an explicit environment.
    const agnostic = Token.isUnresolved(stack.region);
    const assetsBucket = agnostic
      ? 'arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*'
      : `arn:${stack.partition}:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`;
    const reasons: Record<string, string> = {
      'Action::s3:GetObject*':
        'BucketDeployment reads its source asset zip (s3:GetObject*) from the CDK bootstrap assets bucket only.',
      'Action::s3:GetBucket*':
        'BucketDeployment reads bucket metadata (s3:GetBucket*) of the assets bucket and of the site bucket only, to sync the build.',
      'Action::s3:List*':
        'BucketDeployment lists the assets bucket and the site bucket only (s3:List*), to compute what to upload and prune.',
      'Action::s3:DeleteObject*':
        'BucketDeployment prunes files of an old build from the site bucket (s3:DeleteObject* on the site bucket only).',
      'Action::s3:Abort*':
        'BucketDeployment aborts its own failed multipart uploads (s3:Abort*) to the site bucket only.',
      [`Resource::${assetsBucket}`]:
        'The CDK bootstrap assets bucket of this account and region: the zipped dashboard build is read from there.',
      [`Resource::<${bucketId}.Arn>/*`]:
        "The site bucket's objects: the dashboard build is written and pruned there (it holds nothing else).",
      'Resource::*':
        'cloudfront:CreateInvalidation and GetInvalidation after the upload: CDK\'s BucketDeployment grants them on "*" for its distribution invalidation; the handler invalidates only the distribution it is given.',
    };
    for (const singleton of singletons) {
      for (const [finding, reason] of Object.entries(reasons)) ack(singleton, `AwsSolutions-IAM5[${finding}]`, reason);
    }
  }

  // --- Network
  for (const endpoint of Object.values(stack.network.endpoints)) {
    ack(
      endpoint,
      'AwsSolutions-EC23',
      'The endpoint security group allows its port from the VPC CIDR only (a Fn::GetAtt cdk-nag cannot evaluate), never 0.0.0.0/0.',
    );
  }

  // --- Storage
  const { database, redisSecret, appDatabaseSecret } = stack.storage;
  ack(
    database,
    'AwsSolutions-RDS11',
    'Default port 5432: clients reach it through RDS Proxy (whose port is fixed to the engine default), or directly on stages without a proxy, always inside isolated subnets and security groups; a non-default port adds no control.',
  );
  if (!stack.stage.dbMultiAz) {
    ack(
      database,
      'AwsSolutions-RDS3',
      `Stage ${stack.stage.name} runs single-AZ to halve the instance cost; set dbMultiAz in the stage (prod does).`,
    );
  }
  if (!stack.stage.protectData) {
    ack(
      database,
      'AwsSolutions-RDS10',
      `Stage ${stack.stage.name} is disposable (protectData=false); stages with protectData get deletion protection and a final snapshot.`,
    );
  }
  // The generated secret is a child of the instance construct.
  ack(
    database,
    'AwsSolutions-SMG4',
    'Not rotated yet: the migrations function reads the master password once per cold start, so a rotation would fail new connections from warm containers until they recycle. The planned switch is RDS Proxy IAM auth (no client password at all).',
  );
  ack(
    appDatabaseSecret,
    'AwsSolutions-SMG4',
    "The functions' role password: set by the migrations (ALTER ROLE) from this secret and read once per cold start; rotation needs a rotation function that runs ALTER ROLE and waits out warm containers (planned with RDS Proxy IAM auth).",
  );

  if (redisSecret)
    ack(
      redisSecret,
      'AwsSolutions-SMG4',
      'ElastiCache user passwords have no managed rotation; rotating means a custom rotation function that updates the user and the secret together (planned with ElastiCache IAM auth as the alternative).',
    );

  // --- Kafka event sources: the on-failure queues are themselves the dead-letter destination.
  for (const queue of [stack.eventSources.aggregateOnFailure, stack.eventSources.alertOnFailure]) {
    ack(
      queue,
      'AwsSolutions-SQS3',
      'This queue is the on-failure destination (the DLQ) of a Kafka event-source mapping; a DLQ of the DLQ adds nothing.',
    );
  }

  // --- API: authentication is the application's (docs/api.md#authentication-and-scopes), not API Gateway's.
  ack(
    stack.api.httpApi,
    'AwsSolutions-APIG4',
    'Every /v1 route authenticates the API key (Bearer or X-Api-Key, hashed lookup, scopes, tenant) inside the function, as docs/api.md specifies; /healthz and /readyz are public by design and reveal nothing. A Lambda authorizer would duplicate the lookup on every request.',
  );

  // --- Dashboard distribution
  const distribution = stack.web.distribution;
  ack(
    distribution,
    'AwsSolutions-CFR1',
    'A global SaaS dashboard: no country is excluded; abuse is limited by API keys and API throttling.',
  );
  ack(
    distribution,
    'AwsSolutions-CFR2',
    'No WAF web ACL by default (it must live in us-east-1 and costs per rule and request); the dashboard is static and the API behind it throttles and authenticates. Add one per stage when a threat model calls for it.',
  );
  ack(
    distribution,
    'AwsSolutions-CFR4',
    'The default *.cloudfront.net certificate fixes the viewer security policy; TLS 1.2+ needs a custom domain and ACM certificate, which stages do not configure yet.',
  );

  // --- The LocalStack stage only (never deployed to AWS): what LocalStack cannot emulate is left out.
  if (stack.stage.localstack) {
    ack(
      stack.streaming,
      'AwsSolutions-MSK2',
      "LocalStack stage: plaintext client traffic to LocalStack's local Kafka broker; AWS stages use MSK Serverless with TLS and IAM.",
    );
    ack(
      stack.streaming,
      'AwsSolutions-MSK3',
      'LocalStack stage: LocalStack does not emulate MSK client authentication; AWS stages use IAM.',
    );
    ack(stack.streaming, 'AwsSolutions-MSK6', "LocalStack stage: broker logs are LocalStack's container logs.");
    ack(
      stack.storage,
      'AwsSolutions-AEC5',
      'LocalStack stage: a one-node local Redis on its default port (LocalStack implements neither serverless caches nor ElastiCache users); AWS stages use a serverless cache with TLS and a password user.',
    );
  }

  // --- Single sign-on
  ack(
    stack.data.ssoSecretKey,
    'AwsSolutions-SMG4',
    "The key that seals tenants' OIDC client secrets: a rotation must re-seal every stored secret with the new key (docs/security.md#single-sign-on), which Secrets Manager rotation cannot do; rotate with a planned re-seal.",
  );

  // --- SES SMTP credentials (only when the stage names a sender)
  if (stack.email) {
    ack(
      stack.email,
      'AwsSolutions-SMG4',
      'An IAM access key for SES SMTP: rotated by replacing the AccessKey resource (a deploy), not by Secrets Manager rotation.',
    );
  }
}
