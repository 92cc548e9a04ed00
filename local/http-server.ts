// The local stand-in for API Gateway: routes requests to the same handlers Lambda runs, serves the SPA.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { matchRoute, pathHasRoutes, type HttpFunctionName } from '../functions/routes';
import { CORS } from '../functions/cors';
import { toErrorResult, type HttpEvent, type HttpResult } from '../functions/http/middleware';
import { HttpError } from '../functions/http/errors';
import { lambdaContext, requestUrl, toApiGatewayEvent, writeResult } from './api-gateway-event';
import { createStaticFiles } from './static-files';
import { lambdaContextKeys, logger, withLogContext } from '../adapters/logger';

export type HttpFunction = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export interface HttpServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  functions: Record<HttpFunctionName, HttpFunction>;
  webDistDir?: string;
}

class BodyTooLargeError extends Error {}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': CORS.allowOrigin,
  'Access-Control-Expose-Headers': CORS.exposeHeaders.join(', '),
};
const CORS_ENTRIES = Object.entries(CORS_HEADERS);
const CORS_PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'Access-Control-Allow-Methods': CORS.allowMethods.join(', '),
  'Access-Control-Allow-Headers': CORS.allowHeaders.join(', '),
  'Access-Control-Max-Age': String(CORS.maxAgeSeconds),
};

/** Reads a body up to `max` bytes; stops reading (and fails) as soon as it is exceeded. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) return reject(new BodyTooLargeError());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isDecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes an error envelope with a fresh request id (errors raised before any handler ran). */
function writeError(res: ServerResponse, error: unknown): void {
  const requestId = randomUUID();
  const result = toErrorResult(error, requestId);
  writeResult(res, { ...result, headers: { ...result.headers, 'X-Request-Id': requestId } });
}

/** The status node would have answered, with a message that says what to fix. */
function clientErrorOf(error: NodeJS.ErrnoException): HttpError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(
        431,
        'headers_too_large',
        'The request headers are too large; send fewer or shorter headers.',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpError(408, 'request_timeout', 'The request was not received in time; send it again.');
    case 'HPE_INVALID_URL':
      return new HttpError(
        400,
        'invalid_url',
        'The URL holds bytes a URL may not (raw non-ASCII, control characters or spaces); percent-encode them as UTF-8, e.g. with encodeURIComponent.',
      );
    default:
      return new HttpError(
        400,
        'invalid_request',
        `The request is not valid HTTP/1.1 (${String(error.code ?? 'parse error').slice(0, 40)}); check the request line and headers.`,
      );
  }
}

export async function startHttpServer(opts: HttpServerOptions): Promise<{ server: Server; url: string; port: number }> {
  const serveStatic = opts.webDistDir ? createStaticFiles(opts.webDistDir) : undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = requestUrl(req.url);
    if (!url)
      return writeError(
        res,
        new HttpError(
          400,
          'invalid_url',
          'The request target is not a URL path; send /v1/... with its query percent-encoded as UTF-8.',
        ),
      );
    const path = url.pathname;
    const isApi = path.startsWith('/v1/');
    // API Gateway's CORS: browsers may call the API from any origin (keys travel in headers, never cookies).
    if (isApi) for (const [k, v] of CORS_ENTRIES) res.setHeader(k, v);
    if (method === 'OPTIONS' && isApi && pathHasRoutes(path)) {
      res.writeHead(204, CORS_PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    const match = matchRoute(method, path);
    if (!match && !isDecodable(path))
      return writeError(
        res,
        new HttpError(
          400,
          'invalid_url',
          'The path is not valid percent-encoded UTF-8; encode "%" as %25 and other bytes as UTF-8.',
        ),
      );
    if (!match) {
      if (serveStatic && (method === 'GET' || method === 'HEAD') && !isApi) return serveStatic(path, res);
      const status = pathHasRoutes(path) ? 405 : 404;
      return writeError(
        res,
        new HttpError(
          status,
          status === 405 ? 'method_not_allowed' : 'not_found',
          `No route ${method} ${path.slice(0, 200)}; see GET /v1/openapi.json.`,
        ),
      );
    }
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes);
    } catch (e) {
      const requestId = randomUUID();
      const error =
        e instanceof BodyTooLargeError
          ? new HttpError(
              413,
              'payload_too_large',
              `The body is larger than ${opts.maxBodyBytes} bytes; send fewer events per request.`,
            )
          : new HttpError(400, 'invalid_body', 'The request body could not be read.');
      const result = toErrorResult(error, requestId);
      writeResult(res, { ...result, headers: { ...result.headers, 'X-Request-Id': requestId, Connection: 'close' } });
      req.destroy();
      return;
    }
    const event = toApiGatewayEvent(req, body, match.routeKey, match.pathParameters, url);
    const context = lambdaContext(match.fn, event.requestContext.requestId);
    // Each invocation logs in its own context, as functions/process-adapters.ts's lazyHandler does in Lambda.
    const result = await withLogContext(lambdaContextKeys(context), () => opts.functions[match.fn](event, context));
    writeResult(res, result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local gateway failure', { error: error as Error });
      if (!res.headersSent) writeError(res, error);
      else res.destroy();
    });
  });
  // What node's HTTP parser refuses never reaches `handle` (raw non-ASCII or control bytes in the request line,
  // malformed headers, oversized headers, slow headers): answer it in the API's error envelope with a request id
  // too, instead of node's bare status line. (On AWS, API Gateway answers these before any Lambda runs.)
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this connection (keep-alive) or a gone client: only close.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage)
      return socket.destroy();
    const requestId = randomUUID();
    const result = toErrorResult(clientErrorOf(error), requestId);
    const body = Buffer.from(result.body ?? '', 'utf8');
    const headers = {
      ...result.headers,
      ...CORS_HEADERS,
      'X-Request-Id': requestId,
      Connection: 'close',
      'Content-Length': String(body.length),
    };
    const head = `HTTP/1.1 ${result.statusCode} ${STATUS_CODES[result.statusCode] ?? ''}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `http://${opts.host}:${port}` };
}
