// The HTTP API: one route per entry of functions/routes.ts, the table the local runtime serves too.
import { Construct } from 'constructs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { HTTP_ROUTES, type HttpFunctionName } from '../functions/routes';
import { CORS } from '../functions/cors';

export interface ApiProps {
  readonly handlers: Record<HttpFunctionName, lambda.IFunction>;
  /**
   * Whole-API ceiling that protects the account's Lambda concurrency; per-tenant limits are
   * the application's business. @default { rateLimit: 200, burstLimit: 400 }
   */
  readonly throttle?: apigw.ThrottleSettings;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/** "POST /v1/events" → [POST, "/v1/events"]; throws on anything API Gateway would not accept. */
export function parseRouteKey(routeKey: string): [apigw.HttpMethod, string] {
  const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  const method = match && Object.values(apigw.HttpMethod).find((m) => m === match[1]);
  if (!match || !method) throw new Error(`Route key "${routeKey}" is not "<METHOD> /path"`);
  return [method, match[2]!];
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'CustomerSignal public API',
      // Our own $default stage below, because the generated one takes no throttling settings.
      createDefaultStage: false,
      // The same CORS as the local gateway: browser producers post events from their own sites.
      corsPreflight: {
        allowOrigins: [CORS.allowOrigin],
        allowMethods: CORS.allowMethods.map((m) => m as apigw.CorsHttpMethod),
        allowHeaders: [...CORS.allowHeaders],
        exposeHeaders: [...CORS.exposeHeaders],
        maxAge: Duration.seconds(CORS.maxAgeSeconds),
      },
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 200, burstLimit: 400 },
      // One JSON line per request; no headers, so no API key ever lands in the logs.
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
          }),
        ),
      },
    });

    // One integration per function, shared by its routes (payload format 2.0, as the handlers expect).
    const integrations = Object.fromEntries(
      Object.entries(props.handlers).map(([name, fn]) => [name, new HttpLambdaIntegration(`${name}Integration`, fn)]),
    ) as Record<HttpFunctionName, HttpLambdaIntegration>;
    for (const [routeKey, target] of Object.entries(HTTP_ROUTES)) {
      const [method, path] = parseRouteKey(routeKey);
      this.httpApi.addRoutes({ path, methods: [method], integration: integrations[target] });
    }
  }

  /** https://<id>.execute-api.<region>.amazonaws.com/ */
  get url(): string {
    return this.stage.url;
  }

  /** <id>.execute-api.<region>.amazonaws.com, for CloudFront's API origin. */
  get domainName(): string {
    return `${this.httpApi.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
  }
}
