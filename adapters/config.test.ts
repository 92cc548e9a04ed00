import fc from 'fast-check';
import { parseConfig, ConfigError } from './config';

describe('parseConfig', () => {
  it('has working defaults', () => {
    const c = parseConfig({});
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.http.port).toBe(3000);
    expect(c.limits.maxBodyBytes).toBe(1024 * 1024);
    expect(c.limits.retentionMs).toBe(30 * 86_400_000);
  });

  it('reads durations and lists', () => {
    const c = parseConfig({ KAFKA_SEND_TIMEOUT: '750ms', KAFKA_BROKERS: 'a:1, b:2', RETENTION: '7d' });
    expect(c.kafka.sendTimeoutMs).toBe(750);
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.limits.retentionMs).toBe(7 * 86_400_000);
  });

  it("reads the consumer groups' session timeout and refuses one the brokers would refuse", () => {
    expect(parseConfig({}).kafka.sessionTimeoutMs).toBe(30_000);
    expect(parseConfig({ KAFKA_SESSION_TIMEOUT: '6s' }).kafka.sessionTimeoutMs).toBe(6_000);
    expect(() => parseConfig({ KAFKA_SESSION_TIMEOUT: '5s' })).toThrow(
      /^Invalid configuration: KAFKA_SESSION_TIMEOUT="5s" must be between 6s and 30m$/,
    );
    expect(() => parseConfig({ KAFKA_SESSION_TIMEOUT: '31m' })).toThrow(/KAFKA_SESSION_TIMEOUT/);
  });

  const TIMERS = [
    'KAFKA_SEND_TIMEOUT',
    'API_KEY_CACHE_TTL',
    'RATE_LIMIT_LEASE',
    'SCHEDULER_TICK',
    'CATALOG_FLUSH_INTERVAL',
    'EXPLORER_SCAN_BUDGET',
    'ALERT_TICK',
    'DISPATCH_TICK',
    'WEBHOOK_TIMEOUT',
  ];
  const SPANS = ['MAX_FUTURE_SKEW', 'RETENTION', 'ALERT_ALLOWED_LATENESS', 'LOGIN_FAILURE_WINDOW', 'INVITE_TTL'];
  const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

  it('takes any duration text: a finite value within the setting’s bound, or one line naming the variable', () => {
    const text = fc.oneof(
      // Well-formed, with digit strings of any length (past 2^53 and past what a float holds).
      fc.tuple(fc.stringMatching(/^\d{1,400}$/), fc.constantFrom('ms', 's', 'm', 'h', 'd')).map(([n, u]) => n + u),
      // At and around the bounds.
      fc.constantFrom('24d', '25d', '2073600000ms', '2073600001ms', '36500d', '36501d', '0ms', '1ms'),
      // Anything else: signs, decimals, exponents, spaces, other units, all of Unicode.
      fc.constantFrom('-1s', '1.5s', '1e3ms', ' 5s', '5s ', '5 s', '5S', '5sec', 'Infinity', 'NaN', '５s', '5\u0000s'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...TIMERS, ...SPANS), text, (name, value) => {
        fc.pre(value !== ''); // an empty variable is an absent one: the default
        const max = TIMERS.includes(name) ? 24 * 86_400_000 : 36_500 * 86_400_000;
        const m = /^(\d+)(ms|s|m|h|d)$/.exec(value);
        const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
        let out: unknown;
        try {
          out = parseConfig({ [name]: value });
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as Error).message.split('\n')).toHaveLength(1);
          expect((e as Error).message).toContain(`${name}=`);
          // Refused only when not well-formed, or past the bound (or a setting's own tighter range).
          if (m && ms <= max) expect((e as Error).message).not.toMatch(/a duration such as|at most/);
          return;
        }
        expect(m !== null && ms <= max).toBe(true);
        expect(Number.isSafeInteger(ms)).toBe(true);
        expect(JSON.stringify(out)).toContain(String(ms));
      }),
      { numRuns: 2000 },
    );
  });

  it('stops with one line naming the bad variable', () => {
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/^Invalid configuration: PORT="eighty"/);
    expect(() => parseConfig({ KAFKA_BROKERS: 'nohost' })).toThrow(/KAFKA_BROKERS/);
    expect(() => parseConfig({ RETENTION: '30 days' })).toThrow(/RETENTION/);
  });

  it('reads the accounts settings: open sign-up and the session limits by default, invite-only when asked', () => {
    const d = parseConfig({}).accounts;
    expect(d).toMatchObject({
      signup: 'open',
      keySignin: true,
      sessionIdleMs: 12 * 3_600_000,
      cookieSecure: 'auto',
      scryptLogN: 17,
    });
    const c = parseConfig({
      SIGNUP_MODE: 'invite-only',
      KEY_SIGNIN: 'off',
      SESSION_IDLE_TIMEOUT: '30m',
      SESSION_COOKIE_SECURE: 'always',
    });
    expect(c.accounts).toMatchObject({
      signup: 'invite-only',
      keySignin: false,
      sessionIdleMs: 1_800_000,
      cookieSecure: 'always',
    });
    expect(() => parseConfig({ SIGNUP_MODE: 'closed' })).toThrow(/^Invalid configuration: SIGNUP_MODE="closed"/);
    expect(() => parseConfig({ SESSION_IDLE_TIMEOUT: '8d' })).toThrow(/SESSION_IDLE_TIMEOUT/);
    expect(() => parseConfig({ PASSWORD_SCRYPT_LOG_N: '8' })).toThrow(/PASSWORD_SCRYPT_LOG_N/);
  });

  it('reads the breakdown limits and refuses values out of bounds', () => {
    expect(parseConfig({}).breakdowns).toEqual({ maxRawRows: 1_000_000, dimensionMaxValues: 1000 });
    expect(parseConfig({ BREAKDOWN_MAX_RAW_ROWS: '50', DIMENSION_MAX_VALUES: '3' }).breakdowns).toEqual({
      maxRawRows: 50,
      dimensionMaxValues: 3,
    });
    expect(() => parseConfig({ DIMENSION_MAX_VALUES: '0' })).toThrow(
      /^Invalid configuration: DIMENSION_MAX_VALUES="0"/,
    );
    expect(() => parseConfig({ BREAKDOWN_MAX_RAW_ROWS: 'lots' })).toThrow(/BREAKDOWN_MAX_RAW_ROWS/);
  });

  it('reads the catalog caps and refuses unusable catalog timings', () => {
    expect(parseConfig({}).catalog).toEqual({
      maxEventTypes: 1000,
      maxPropertiesPerType: 500,
      cacheTtlMs: 5_000,
      flushIntervalMs: 1_000,
    });
    const c = parseConfig({
      CATALOG_MAX_EVENT_TYPES: '20',
      CATALOG_MAX_PROPERTIES: '5',
      CATALOG_CACHE_TTL: '2s',
      CATALOG_FLUSH_INTERVAL: '250ms',
    });
    expect(c.catalog).toEqual({ maxEventTypes: 20, maxPropertiesPerType: 5, cacheTtlMs: 2_000, flushIntervalMs: 250 });
    expect(() => parseConfig({ CATALOG_MAX_EVENT_TYPES: '0' })).toThrow(
      /^Invalid configuration: CATALOG_MAX_EVENT_TYPES="0"/,
    );
    expect(() => parseConfig({ CATALOG_MAX_PROPERTIES: 'many' })).toThrow(/CATALOG_MAX_PROPERTIES/);
    expect(() => parseConfig({ CATALOG_CACHE_TTL: '1h' })).toThrow(
      /^Invalid configuration: CATALOG_CACHE_TTL="1h" must be between/,
    );
    expect(() => parseConfig({ CATALOG_FLUSH_INTERVAL: '0s' })).toThrow(/CATALOG_FLUSH_INTERVAL/);
  });
});

describe('database pool size', () => {
  it('is 10 by default, 2 on Lambda (one invocation per container), and an explicit value wins', () => {
    expect(parseConfig({}).database.poolSize).toBe(10);
    expect(parseConfig({ AWS_LAMBDA_FUNCTION_NAME: 'CustomerSignal-dev-Ingest' }).database.poolSize).toBe(2);
    expect(parseConfig({ AWS_LAMBDA_FUNCTION_NAME: 'x', DATABASE_POOL_SIZE: '1' }).database.poolSize).toBe(1);
    expect(() => parseConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
  });
});
