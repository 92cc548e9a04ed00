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

/** API Gateway's `requestContext.time` (second resolution): formatted once per second, not once per request. */
let timeSecond = NaN;
let timeText = '';
function gatewayTime(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== timeSecond) {
    timeSecond = second;
    timeText = new Date(nowMs).toUTCString();
  }
  return timeText;
}

/** Sets an own key: a header or parameter may be named `__proto__` or `toString`, which plain assignment mishandles. */
function own(o: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `url`: the request target as requestUrl() parsed it, when the caller already did. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string> = {},
  url: URL = requestUrl(req.url) ?? new URL('http://local/'),
): APIGatewayProxyEventV2 {
  // node's parser gives header names in lower case already; only Set-Cookie may come as an array.
  const headers: Record<string, string> = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (v !== undefined) own(headers, k, Array.isArray(v) ? v.join(',') : v);
  }
  const query: Record<string, string> = {};
  if (url.search.length > 1)
    for (const [k, v] of url.searchParams) own(query, k, Object.hasOwn(query, k) ? `${query[k]},${v}` : v);
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
      time: gatewayTime(now),
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
  // A text body is written as it is (no copy into a Buffer first); only base64 bodies are decoded to bytes.
  const body =
    result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  for (const name in result.headers) res.setHeader(name, result.headers[name]!);
  // Payload v2 returns cookies apart from the headers; API Gateway sends each as its own Set-Cookie.
  if (result.cookies && result.cookies.length > 0) res.setHeader('Set-Cookie', result.cookies);
  if (body !== undefined)
    res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.writeHead(result.statusCode);
  res.end(body);
}
