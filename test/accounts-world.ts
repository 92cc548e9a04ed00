// The world of the accounts integration tests (functions/auth/*.integration.test.ts): a test environment with the
// local runtime (no consumers), fast password hashing, its own sign-in throttle keys, and optionally an SMTP sink
// whose mail the tests read; people signed in by cookie (the session cookie and its CSRF token), members made by the
// operator path and signed in, and the logs written at DEBUG while something runs.
import { randomBytes } from 'node:crypto';
import type { Role } from '../core/accounts';
import { hashPassword } from '../core/passwords';
import { powertoolsLogger } from '../adapters/logger';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../local/smtp-sink';
import { call, type CallResult } from './builders';
import { captureOutput } from './capture-output';
import { useTestEnv, type TestEnvOptions, type TestWorld } from './harness';

/** The password of every account these tests make (a strong one: several unrelated words). */
export const PASSWORD = 'violet tractor sings';

/** A cookie session as a browser holds it. */
export interface Session {
  /** `cs_session=…`, as a browser sends it back. */
  cookie: string;
  csrf: string;
  /** The whole Set-Cookie header that started it. */
  setCookie: string;
}

/** The session an answer started (its cs_session cookie and CSRF token); throws, with the answer, when none. */
export function sessionOf(res: CallResult): Session {
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('cs_session='));
  if (!setCookie) throw new Error(`no session cookie: ${res.status} ${JSON.stringify(res.body)}`);
  return { cookie: setCookie.split(';')[0]!, csrf: res.body.csrf_token, setCookie };
}

/** The headers of a request in a session: the cookie, and the CSRF token unless `csrf` is false. */
export const as = (s: Pick<Session, 'cookie' | 'csrf'>, csrf = true): Record<string, string> => ({
  Cookie: s.cookie,
  ...(csrf ? { 'X-CSRF-Token': s.csrf } : {}),
});

/** What the logger and anything else wrote to stdout and stderr while `run` ran, with the log level at DEBUG. */
export async function debugLogsDuring(run: () => Promise<void>): Promise<string> {
  const written: string[] = [];
  const level = powertoolsLogger.getLevelName();
  powertoolsLogger.setLogLevel('DEBUG');
  const stop = captureOutput((line) => written.push(line));
  try {
    await run();
  } finally {
    stop();
    powertoolsLogger.setLogLevel(level);
  }
  return written.join('\n');
}

/** The text of a mail as sent (quoted-printable undone). */
export const mailText = (m: ReceivedMail): string =>
  m.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** The mail the SMTP sink received. */
export interface Mailbox {
  sink: SmtpSink;
  /** The mails to an address, oldest first. */
  to(address: string): ReceivedMail[];
  /** The text of a mail as sent (quoted-printable undone). */
  text(mail: ReceivedMail): string;
  /** The token of the newest `…/page#token=…` link mailed to the address, any page when none is named. */
  token(address: string, page?: string): string;
}

export interface AccountsWorldOptions<N extends number> extends Omit<TestEnvOptions<N>, 'runtime' | 'overrides'> {
  /** Configuration beyond the world's own (PASSWORD_SCRYPT_LOG_N, LOGIN_THROTTLE_PREFIX, SMTP_URL). */
  overrides?: Record<string, string>;
  /** Start an SMTP sink before the environment and send the accounts' mail to it. */
  mail?: boolean;
  /** The clock members are made at (the file's injected clock); the wall clock by default. */
  now?: () => number;
}

export interface AccountsWorld<N extends number> extends TestWorld<N> {
  url(): string;
  /** A fresh address, `${name}-…@example.com`. */
  email(): string;
  logIn(address: string, password?: string, headers?: Record<string, string>): Promise<CallResult>;
  /** A new tenant made by sign-up (the owner's address not yet verified), signed in; expects the 201. */
  signUp(address?: string, organization?: string): Promise<{ res: CallResult; session: Session; email: string }>;
  /** A member made by the operator path (address verified) in the tenant (the first by default), signed in. */
  member(role: Role, tenantId?: string): Promise<Session & { email: string; id: string; login: CallResult }>;
  /** The SMTP sink's mail; only with `mail: true`. */
  mail: Mailbox;
}

/**
 * The accounts world of a test file, made in its beforeAll and ended in its afterAll (hooks the file declares
 * before this call run before the world's). `name` names the environment and prefixes the addresses.
 */
export function useAccountsWorld<N extends number = 0>(
  name: string,
  opts: AccountsWorldOptions<N> = {},
): AccountsWorld<N> {
  let sink: SmtpSink | undefined;
  if (opts.mail) {
    beforeAll(async () => {
      sink = await startSmtpSink({ port: 0, dir: null });
    });
    afterAll(async () => {
      await sink?.stop(); // a test may have stopped it already: closing again does nothing
    });
  }
  const { overrides, mail, now = Date.now, ...rest } = opts;
  const world = useTestEnv(name, {
    ...rest,
    overrides: () => ({
      PASSWORD_SCRYPT_LOG_N: '14',
      LOGIN_THROTTLE_PREFIX: `${name}-${randomBytes(6).toString('hex')}`,
      ...(sink ? { SMTP_URL: `smtp://127.0.0.1:${sink.port}` } : {}),
      ...overrides,
    }),
    runtime: { consumers: false },
  });
  const url = () => world.runtime.url;
  const email = () => `${name}-${randomBytes(5).toString('hex')}@example.com`;
  const logIn = (address: string, password = PASSWORD, headers: Record<string, string> = {}) =>
    call(url(), '/v1/auth/login', { json: { email: address, password }, headers });
  const theSink = (): SmtpSink => {
    if (!mail) throw new Error('the accounts world has no SMTP sink: pass `mail: true`');
    if (!sink) throw new Error("the accounts world's SMTP sink is used before its beforeAll");
    return sink;
  };
  const to = (address: string) => theSink().received.filter((m) => m.to.includes(address));
  return {
    ...world,
    url,
    email,
    logIn,
    async signUp(address = email(), organization = `Org ${randomBytes(3).toString('hex')}`) {
      const res = await call(url(), '/v1/auth/signup', { json: { email: address, password: PASSWORD, organization } });
      expect(res.status).toBe(201);
      return { res, session: sessionOf(res), email: address };
    },
    async member(role, tenantId = world.tenant.id) {
      const address = email();
      const { id } = await world.env.adapters.accounts.createMember({
        tenantId,
        email: address,
        name: null,
        passwordHash: await hashPassword(PASSWORD, 14),
        role,
        nowMs: now(),
      });
      const login = await logIn(address);
      expect(login.status).toBe(200);
      return { ...sessionOf(login), email: address, id, login };
    },
    mail: {
      get sink() {
        return theSink();
      },
      to,
      text: mailText,
      token(address, page = '') {
        const re = new RegExp(`${page.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}#token=([\\w-]{43})`);
        const tokens = to(address)
          .map((m) => re.exec(mailText(m))?.[1])
          .filter((t): t is string => t !== undefined);
        if (tokens.length === 0) throw new Error(`no ${page || 'token'} link mailed to ${address}`);
        return tokens[tokens.length - 1]!;
      },
    },
  };
}
