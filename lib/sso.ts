// Single sign-on in AWS (docs/aws.md#single-sign-on-with-amazon-cognito, docs/security.md#single-sign-on):
// - SsoSecretKey (stateful stack): the key that seals the tenants' OIDC client secrets at rest (SSO_SECRET_KEY_ARN,
//   read by the query function only). It lives with the data: a new key would leave every stored secret unreadable.
// - CognitoIssuer (stateless stack, stage option `cognito`): an Amazon Cognito user pool with a hosted domain and an
//   app client (authorization code flow with a secret, openid email profile) whose callback is the API's SSO
//   callback; its issuer and client id are outputs to put into PUT /v1/sso.
import { Construct } from 'constructs';
import { Aws, CfnOutput, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export class SsoSecretKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { protectData: boolean }) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'CustomerSignal: the key (JSON {key}) that seals tenants’ OIDC client secrets (AES-256-GCM)',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}

export interface CognitoIssuerProps {
  /** The app's public origin (APP_URL): the callback is <appUrl>/v1/auth/sso/callback. */
  appUrl: string;
  protectData: boolean;
}

export class CognitoIssuer extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** The OIDC issuer: https://cognito-idp.<region>.amazonaws.com/<pool id>. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: CognitoIssuerProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      // People are made by an administrator (or federated later); nobody signs up at the issuer.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: props.protectData,
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The hosted sign-in pages (the authorization endpoint): a prefix unique per region, from the stack's own id.
    this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: Fn.join('-', ['customersignal', Fn.select(2, Fn.split('/', Aws.STACK_ID))]) },
    });
    this.client = this.userPool.addClient('AppClient', {
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${props.appUrl}/v1/auth/sso/callback`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.minutes(60),
      accessTokenValidity: Duration.minutes(60),
    });
    this.issuer = this.userPool.userPoolProviderUrl;
    new CfnOutput(this, 'Issuer', {
      value: this.issuer,
      description: 'Single sign-on: "issuer" for PUT /v1/sso',
    });
    new CfnOutput(this, 'ClientId', {
      value: this.client.userPoolClientId,
      description:
        'Single sign-on: "client_id" for PUT /v1/sso; the client_secret: aws cognito-idp describe-user-pool-client --user-pool-id <pool> --client-id <id>',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Cognito user pool id' });
  }
}
