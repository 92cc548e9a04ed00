// The dashboard SPA: a private bucket served through CloudFront.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';

export interface WebProps {
  /**
   * The built SPA (`npm run build:web`, with VITE_API_URL set to the ApiUrl output). Deployed
   * when it holds an index.html; otherwise the bucket is left as it is, so a fresh clone synths.
   */
  readonly distDir: string;
}

export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** The BucketDeployment, when distDir held a build. */
  readonly deployment?: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
    });

    // The SPA routes in the browser: a deep link has no object behind it. Through OAC, S3 answers
    // a missing key with 403 (the distribution may not list the bucket), hence both codes.
    const spaFallback = [403, 404].map((httpStatus) => ({
      httpStatus,
      responseHttpStatus: 200,
      responsePagePath: '/index.html',
      ttl: Duration.seconds(0),
    }));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'CustomerSignal dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      errorResponses: spaFallback,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });

    if (existsSync(path.join(props.distDir, 'index.html'))) {
      this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
        sources: [s3deploy.Source.asset(props.distDir)],
        destinationBucket: this.bucket,
        distribution: this.distribution,
        distributionPaths: ['/*'],
        memoryLimit: 512,
      });
    }
  }

  /** https://<id>.cloudfront.net */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
