// A real OpenID Connect issuer for tests: oidc-provider (panva) on 127.0.0.1, in this process, with its development
// interactions (any login, no password check). Accounts are e-mail addresses: "unverified.<x>@<domain>" says
// email_verified=false. The issuer URL is a small HTTP proxy in front of the provider that can tamper with the next
// token responses' ID tokens (re-signed with the provider's own key, or with a broken signature), so the relying
// party's checks are exercised against a real issuer and a real attacker in the middle alike.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import Provider from 'oidc-provider';

export interface IssuerClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

/** What the proxy does to the ID token of the next token response. */
export type Tamper =
  { kind: 'signature' } | { kind: 'claims'; change: (claims: Record<string, unknown>) => Record<string, unknown> };

export interface TestIssuer {
  /** The issuer identifier (the proxy's origin). */
  issuer: string;
  clients: IssuerClient[];
  /** Tamper with the ID token of the next token response (once). */
  tamperNext(t: Tamper): void;
  stop(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

const b64 = (v: Buffer | string) => Buffer.from(v).toString('base64url');

function resign(idToken: string, key: KeyObject, kid: string, change: Tamper): string {
  const [h, p, s] = idToken.split('.') as [string, string, string];
  if (change.kind === 'signature') {
    const sig = Buffer.from(s, 'base64url');
    sig[10] = sig[10]! ^ 0xff;
    return `${h}.${p}.${b64(sig)}`;
  }
  const claims = change.change(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
  const header = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const payload = b64(JSON.stringify(claims));
  return `${header}.${payload}.${b64(sign('sha256', Buffer.from(`${header}.${payload}`), key))}`;
}

export async function startTestIssuer(redirectUri: string, clientCount = 2): Promise<TestIssuer> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'RS256', use: 'sig' };
  const clients: IssuerClient[] = Array.from({ length: clientCount }, (_, i) => ({
    client_id: `client-${i}-${randomBytes(4).toString('hex')}`,
    client_secret: randomBytes(24).toString('base64url'),
    redirect_uri: redirectUri,
  }));

  let tamper: Tamper | undefined;
  let providerPort = 0;
  const proxy = createServer((req, res) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: providerPort, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let body = Buffer.concat(chunks);
          const headers = { ...up.headers };
          const t = tamper;
          if (t && req.url?.startsWith('/token') && up.statusCode === 200) {
            tamper = undefined;
            const json = JSON.parse(body.toString('utf8')) as { id_token?: string };
            if (json.id_token) json.id_token = resign(json.id_token, privateKey, kid, t);
            body = Buffer.from(JSON.stringify(json));
            headers['content-length'] = String(body.length);
            delete headers['etag'];
          }
          res.writeHead(up.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const proxyPort = await listen(proxy);
  const issuer = `http://127.0.0.1:${proxyPort}`;

  /* eslint-disable no-console -- the provider warns (on the console) that its development interactions and keys are for development: they are. */
  const warn = console.warn;
  console.warn = () => undefined;
  let provider: Provider;
  try {
    provider = new Provider(issuer, {
      clients: clients.map((c) => ({
        client_id: c.client_id,
        client_secret: c.client_secret,
        redirect_uris: [c.redirect_uri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      jwks: { keys: [jwk] },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
      async findAccount(_ctx, id) {
        return {
          accountId: id,
          async claims() {
            return { sub: id, email: id, email_verified: !id.startsWith('unverified.'), name: `Person ${id}` };
          },
        };
      },
    });
  } finally {
    console.warn = warn;
  }
  /* eslint-enable no-console */
  const app = createServer(provider.callback());
  providerPort = await listen(app);

  return {
    issuer,
    clients,
    tamperNext(t) {
      tamper = t;
    },
    async stop() {
      proxy.closeAllConnections();
      app.closeAllConnections();
      await Promise.all([close(proxy), close(app)]);
    },
  };
}

/** A minimal cookie jar for one origin (name → value; paths ignored). */
export class CookieJar {
  private readonly values = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(c)) this.values.delete(name);
      else this.values.set(name, value);
    }
  }
  header(): string {
    return [...this.values].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.values.get(name);
  }
}

/**
 * Drives the issuer's side as a browser would: from the authorization URL, through the login and consent
 * interactions (as `login`), to the redirect back to the app. Returns that redirect's URL (the app's callback).
 */
export async function signInAtIssuer(authorizationUrl: string, login: string): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(authorizationUrl);
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        Cookie: jar.header(),
        ...(body !== undefined && { 'Content-Type': 'application/x-www-form-urlencoded' }),
      },
      body,
    });
    jar.take(res);
    method = 'GET';
    body = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.origin !== url.origin) return next; // back to the relying party
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || !/\/interaction\//.test(url.pathname))
      throw new Error(`issuer answered ${res.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    method = 'POST';
    body =
      prompt === 'login'
        ? new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString()
        : new URLSearchParams({ prompt: 'consent' }).toString();
  }
  throw new Error('too many redirects at the issuer');
}
