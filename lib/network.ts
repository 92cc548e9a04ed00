// The VPC every other construct lives in: private subnets, the NAT for webhooks, VPC endpoints, flow logs.
import { Construct } from 'constructs';
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';

export interface NetworkProps {
  /**
   * NAT gateways. The dispatcher's webhooks go to arbitrary hosts on the internet, so the app subnets
   * need one: ~32 USD/month per gateway plus ~0.045 USD per GB processed (us-east-1 prices). One is a
   * single point of failure for egress, accepted for its cost; two (one per AZ) for production.
   */
  readonly natGateways: number;
  /**
   * Interface endpoints (service names such as secretsmanager, email-smtp, sts, lambda, kafka): each
   * costs ~7.3 USD/month per AZ plus 0.01 USD/GB. Without them the traffic takes the NAT, which the
   * stage has anyway (webhooks, MSK event-source pollers). `email-smtp` is not offered in every AZ:
   * it is placed only in the AZs that offer it, which needs a stage with an explicit account and
   * region (CDK looks the AZs up, and the answer goes into cdk.context.json). S3 uses a free gateway
   * endpoint.
   */
  readonly interfaceEndpoints: readonly string[];
  readonly logRetention: logs.RetentionDays;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Lambdas and MSK: they need a route out (webhooks, and the MSK event-source pollers reach Lambda and STS). */
  readonly appSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  /** Postgres, RDS Proxy and Redis: nothing in there ever calls out. */
  readonly dataSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
  /** Interface endpoint services known not to exist in every AZ of a region. */
  static readonly PARTIAL_AZ_SERVICES: readonly string[] = ['email-smtp'];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      // Two AZs: the minimum MSK Serverless, ElastiCache Serverless and an RDS subnet group accept.
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });

    // Rejected and accepted flows, for incident forensics (cdk-nag VPC7).
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup) });

    const stack = Stack.of(this);
    const environmentAgnostic = Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account);
    for (const name of props.interfaceEndpoints) {
      const id = name.replace(/(^|[-.])([a-z])/g, (_, __, c: string) => c.toUpperCase());
      const partialAzs = Network.PARTIAL_AZ_SERVICES.includes(name);
      if (partialAzs && environmentAgnostic) {
        throw new Error(
          `The ${name} interface endpoint is not offered in every availability zone: give the stage an account and region ` +
            `(so CDK can look up the AZs that offer it), or leave it out and let the traffic take the NAT gateway (docs/aws.md).`,
        );
      }
      this.endpoints[name] = this.vpc.addInterfaceEndpoint(`${id}Endpoint`, {
        // SES SMTP listens on 587 (STARTTLS) behind its endpoint; every other service on 443.
        service: new ec2.InterfaceVpcEndpointAwsService(name, undefined, name === 'email-smtp' ? 587 : 443),
        subnets: this.appSubnets,
        privateDnsEnabled: true,
        // Reachable from inside the VPC only: the endpoint's security group allows the VPC CIDR on that port.
        open: true,
        // Only in the AZs that offer the service (a context lookup, committed in cdk.context.json).
        ...(partialAzs && { lookupSupportedAzs: true }),
      });
    }
  }
}
