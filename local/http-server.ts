// The local stand-in for API Gateway: routes requests to the same handlers Lambda runs, serves the SPA.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { matchRoute, pathHasRoutes, type HttpFunctionName } from '../functions/routes';
import { CORS } from '../functions/cors';
import { toErrorResult, type HttpEvent, type HttpResult } from '../functions/http/middleware';
import { HttpError } from '../core/errors';
import { lambdaContext, toApiGatewayEvent, writeResult } from './api-gateway-event';
import { createStaticFiles } from './static-files';
import { logger } from '../adapters/logger';

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

export async function startHttpServer(opts: HttpServerOptions): Promise<{ server: Server; url: string; port: number }> {
  const serveStatic = opts.webDistDir ? createStaticFiles(opts.webDistDir) : undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const isApi = path.startsWith('/v1/');
    // API Gateway's CORS: browsers may call the API from any origin (keys travel in headers, never cookies).
    if (isApi) for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    if (method === 'OPTIONS' && isApi && pathHasRoutes(path)) {
      res.writeHead(204, CORS_PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    const match = matchRoute(method, path);
    if (!match) {
      if (serveStatic && (method === 'GET' || method === 'HEAD') && !isApi) return serveStatic(path, res);
      const requestId = randomUUID();
      const status = pathHasRoutes(path) ? 405 : 404;
      const result = toErrorResult(new HttpError(status, status === 405 ? 'method_not_allowed' : 'not_found', `No route ${method} ${path}; see GET /v1/openapi.json.`), requestId);
      return writeResult(res, { ...result, headers: { ...result.headers, 'X-Request-Id': requestId } });
    }
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes);
    } catch (e) {
      const requestId = randomUUID();
      const error = e instanceof BodyTooLargeError
        ? new HttpError(413, 'payload_too_large', `The body is larger than ${opts.maxBodyBytes} bytes; send fewer events per request.`)
        : new HttpError(400, 'invalid_body', 'The request body could not be read.');
      const result = toErrorResult(error, requestId);
      writeResult(res, { ...result, headers: { ...result.headers, 'X-Request-Id': requestId, Connection: 'close' } });
      req.destroy();
      return;
    }
    const event = toApiGatewayEvent(req, body, match.routeKey, match.pathParameters);
    const result = await opts.functions[match.fn](event, lambdaContext(match.fn, event.requestContext.requestId));
    writeResult(res, result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local gateway failure', { error: error as Error });
      if (!res.headersSent) writeResult(res, toErrorResult(error, 'local'));
      else res.destroy();
    });
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
