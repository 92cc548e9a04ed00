// SES SMTP credentials for the dispatcher's email channel: an IAM user that may only send from the
// configured address, its access key kept in Secrets Manager (the SMTP password is derived from it at
// cold start by adapters/aws/resolve.ts). SMTP traffic goes through the email-smtp VPC endpoint.
import { Construct } from 'constructs';
import { RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export interface EmailProps {
  /** The sender address; its domain (or the address) must be a verified SES identity. */
  readonly from: string;
}

export class Email extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly from: string;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.from))
      throw new Error(`emailFrom "${props.from}" is not an email address`);
    this.from = props.from;
    // SES SMTP authenticates IAM users' access keys only (no roles), hence a user.
    const user = new iam.User(this, 'SmtpUser');
    user.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendRawEmail'],
        // SES authorizes against the verified identity in use: the address itself or its domain.
        resources: [props.from, props.from.split('@')[1]!].map((identity) =>
          Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
        ),
        conditions: { StringEquals: { 'ses:FromAddress': props.from } },
      }),
    );
    const key = new iam.AccessKey(this, 'SmtpKey', { user });
    this.secret = new secretsmanager.Secret(this, 'SmtpSecret', {
      description: 'CustomerSignal SES SMTP: IAM access key of the sending user',
      secretObjectValue: {
        accessKeyId: SecretValue.unsafePlainText(key.accessKeyId),
        secretAccessKey: key.secretAccessKey,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  get environment(): Record<string, string> {
    const stack = Stack.of(this);
    return {
      // Resolves to the email-smtp interface endpoint inside the VPC (private DNS).
      SMTP_HOST: `email-smtp.${stack.region}.amazonaws.com`,
      SMTP_PORT: '587',
      SMTP_FROM: this.from,
      SMTP_SECRET_ARN: this.secret.secretArn,
    };
  }

  grantRead(grantee: iam.IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
