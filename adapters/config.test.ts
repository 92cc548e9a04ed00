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
