// The dashboard SPA: a private bucket served through CloudFront (origin access control), with the HTTP
// API behind the same distribution so the SPA calls it on its own origin.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';

export interface WebProps {
  /**
   * The built SPA (`npm run build:web`). Deployed when it holds an index.html; otherwise the bucket is
   * left as it is, so a fresh clone synths.
   */
  readonly distDir: string;
  /**
   * The HTTP API's domain (<id>.execute-api.<region>.amazonaws.com). The API URL is injected by routing:
   * /v1/*, /healthz and /readyz on the distribution go to the API, so the SPA built with the default
   * VITE_API_URL='' (same origin) needs no per-stage build, and the browser needs no CORS. The SPA
   * also gets `/config.json` with the direct API URL, for producers and tools. Omit for a bucket-only site.
   */
  readonly apiDomainName?: string;
  /** The direct API URL written to /config.json. */
  readonly apiUrl?: string;
  /**
   * Keep the access-log bucket (and its logs) when the stack goes. Otherwise it is emptied and
   * deleted with the stack. The site bucket holds only the build and is always emptied and deleted.
   * @default false
   */
  readonly protectData?: boolean;
}

/** Paths the distribution forwards to the API. */
export const API_PATH_PATTERNS = ['/v1/*', '/healthz', '/readyz'] as const;

/** CloudFront Functions (cloudfront-js-2.0): /a/b → /index.html; /assets/x.js unchanged. */
export const SPA_REWRITE_SOURCE = `function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** The BucketDeployment, when distDir held a build. */
  readonly deployment?: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    // CloudFront standard logs and the site bucket's access logs (CloudFront writes with ACLs).
    this.logBucket = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      // A non-empty bucket cannot be deleted: `cdk destroy` failed here. Emptied first, or retained on purpose.
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.protectData,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      // Only the SPA build (redeployed by every deploy): nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    // The SPA routes in the browser: a deep link (/metrics/signup) has no object behind it. A viewer-request
    // function on the bucket's behaviour serves index.html for any path whose last segment has no dot.
    // Not distribution-wide error responses: those would also turn the API's own 403/404 into index.html.
    const spaRewrite = new cloudfront.Function(this, 'SpaRewrite', {
      comment: 'Serve index.html for SPA routes',
      code: cloudfront.FunctionCode.fromInline(SPA_REWRITE_SOURCE),
    });
    const apiBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    if (props.apiDomainName) {
      const apiOrigin = new origins.HttpOrigin(props.apiDomainName, {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      });
      for (const pattern of API_PATH_PATTERNS) {
        apiBehaviors[pattern] = {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          // Authorization, X-Api-Key, query strings and the body reach the API; Host must be the API's own.
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        };
      }
    }
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'CustomerSignal dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        functionAssociations: [{ function: spaRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: apiBehaviors,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });

    if (existsSync(path.join(props.distDir, 'index.html'))) {
      this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
        sources: [
          s3deploy.Source.asset(props.distDir),
          ...(props.apiUrl ? [s3deploy.Source.jsonData('config.json', { apiUrl: props.apiUrl })] : []),
        ],
        destinationBucket: this.bucket,
        distribution: this.distribution,
        distributionPaths: ['/*'],
        memoryLimit: 512,
      });
      // CDK gives its singleton upload handler a log group kept for two years after the stack goes:
      // one month, deleted with the stack, like every other log group here.
      for (const singleton of Stack.of(this).node.children.filter((c) =>
        c.node.id.startsWith('Custom::CDKBucketDeployment'),
      )) {
        const logGroup = singleton.node.tryFindChild('LogGroup')?.node.defaultChild;
        if (logGroup instanceof logs.CfnLogGroup) {
          logGroup.applyRemovalPolicy(RemovalPolicy.DESTROY);
          logGroup.retentionInDays = logs.RetentionDays.ONE_MONTH;
        }
      }
    }
  }

  /** https://<id>.cloudfront.net */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
