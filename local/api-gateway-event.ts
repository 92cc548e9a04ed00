// Turns a node:http request into an API Gateway HTTP API (payload v2) event and a result back into a response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResult } from '../functions/http/middleware';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The body as text when it is valid UTF-8, else undefined. */
function asUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const TEXT_TYPES = /^(application\/(?:[\w.+-]+\+)?json|text\/|application\/x-www-form-urlencoded)/i;

/**
 * The request target as a URL: origin-form (`/path?query`, taken literally, so `//x/y` is the path `//x/y`) or
 * absolute-form (`http://host/path`). Anything else (`*`, `http://[`) is undefined: the caller answers 400.
 */
export function requestUrl(target: string | undefined): URL | undefined {
  const t = target ?? '/';
  try {
    return t.startsWith('/') ? new URL(`http://local${t}`) : /^https?:\/\//i.test(t) ? new URL(t) : undefined;
  } catch {
    return undefined;
  }
}

export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const url = requestUrl(req.url) ?? new URL('http://local/');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  // Like API Gateway: text bodies as strings, anything else (or bytes that are not UTF-8) base64-encoded.
  const text =
    body.length > 0 && !headers['content-encoding'] && TEXT_TYPES.test(headers['content-type'] ?? '')
      ? asUtf8(body)
      : undefined;
  const now = Date.now();
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: headers['cookie']?.split(';').map((c) => c.trim()),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    body: body.length === 0 ? undefined : (text ?? body.toString('base64')),
    isBase64Encoded: body.length > 0 && text === undefined,
  };
}

/** Lambda's context object; methods live on the prototype so a request costs one small object. */
class LocalContext implements Context {
  readonly callbackWaitsForEmptyEventLoop = false;
  readonly functionVersion = '$LATEST';
  readonly memoryLimitInMB = '1024';
  readonly logStreamName = 'local';
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
  constructor(
    readonly functionName: string,
    readonly awsRequestId: string,
    private readonly deadline: number,
  ) {
    this.invokedFunctionArn = `arn:aws:lambda:local:000000000000:function:${functionName}`;
    this.logGroupName = `/local/${functionName}`;
  }
  getRemainingTimeInMillis(): number {
    return Math.max(0, this.deadline - Date.now());
  }
  done(): void {}
  fail(): void {}
  succeed(): void {}
}

export function lambdaContext(functionName: string, requestId: string, timeoutMs = 30_000): Context {
  return new LocalContext(functionName, requestId, Date.now() + timeoutMs);
}

export function writeResult(res: ServerResponse, result: HttpResult): void {
  const body =
    result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode, {
    ...result.headers,
    // Payload v2 returns cookies apart from the headers; API Gateway sends each as its own Set-Cookie.
    ...(result.cookies && result.cookies.length > 0 ? { 'Set-Cookie': result.cookies } : {}),
    ...(body ? { 'Content-Length': String(body.length) } : {}),
  });
  res.end(body);
}
