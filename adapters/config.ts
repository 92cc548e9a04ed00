// The one place that reads process.env: parsed and validated once per process.
import { z } from 'zod';

/**
 * A duration such as 500ms, 10s, 5m, 1h or 30d, at most `max` (a digit string of any length would otherwise become
 * a number too large to use, or Infinity).
 */
const duration = (max: { ms: number; text: string }) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 10s, 5m, 1h or 30d')
    .transform((v) => {
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
      const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
      return Number(m[1]) * unit;
    })
    .refine((ms) => ms <= max.ms, `at most ${max.text}`);
/** Retention, windows, lifetimes: up to 100 years. */
const durationMs = duration({ ms: 36_500 * 86_400_000, text: '36500d' });
/** Timer delays and timeouts, which Node's timers take up to 2^31 - 1 ms (a longer one fires at once): up to 24 days. */
const timerMs = duration({ ms: 24 * 86_400_000, text: '24d' });

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'an ARN (arn:aws:...)');

const schema = z.object({
  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().min(1).default('customersignal'),
  KAFKA_TOPIC_EVENTS_RAW: z.string().min(1).default('events_raw'),
  KAFKA_TOPIC_EVENTS_DLQ: z.string().min(1).default('events_dlq'),
  KAFKA_TOPIC_METRIC_UPDATES: z.string().min(1).default('metric_updates'),
  KAFKA_EVENTS_RAW_PARTITIONS: intFrom(1, 1024).default(6),
  KAFKA_GROUP_AGGREGATE: z.string().min(1).default('aggregate'),
  KAFKA_GROUP_ALERT: z.string().min(1).default('alert'),
  KAFKA_SEND_TIMEOUT: timerMs.default(5_000),
  /** The local consumer groups' session timeout: how long a killed member holds its partitions. */
  KAFKA_SESSION_TIMEOUT: timerMs.default(30_000),
  KAFKA_MAX_QUEUED_EVENTS: intFrom(1, 10_000_000).default(50_000),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/customersignal'),
  /** Connections per process. @default 10, or 2 on Lambda (one invocation at a time per container; RDS Proxy pools the rest). */
  DATABASE_POOL_SIZE: intFrom(1, 200).optional(),
  DATABASE_PREPARE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  PORT: intFrom(0, 65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  MAX_BODY_BYTES: intFrom(1_024, 10 * 1024 * 1024).default(1024 * 1024),
  MAX_EVENTS_PER_BATCH: intFrom(1, 10_000).default(1000),
  MAX_PROPERTIES_BYTES: intFrom(16, 1024 * 1024).default(32 * 1024),
  MAX_PROPERTIES_DEPTH: intFrom(1, 64).default(5),
  MAX_CONTEXT_BYTES: intFrom(16, 1024 * 1024).default(32 * 1024),
  MAX_FUTURE_SKEW: durationMs.default(3_600_000),
  RETENTION: durationMs.default(30 * 86_400_000),
  API_KEY_CACHE_TTL: timerMs.default(5_000),
  RATE_LIMIT_EVENTS_PER_SECOND: intFrom(1, 10_000_000).default(10_000),
  RATE_LIMIT_BURST: intFrom(1, 100_000_000).default(20_000),
  RATE_LIMIT_LEASE: timerMs.default(100),
  AGGREGATE_BATCH_SIZE: intFrom(1, 10_000).default(500),
  AGGREGATE_MAX_RECORD_ATTEMPTS: intFrom(1, 100).default(3),
  SCHEDULER_TICK: timerMs.default(10_000),
  CATALOG_MAX_EVENT_TYPES: intFrom(1, 1_000_000).default(1000),
  CATALOG_MAX_PROPERTIES: intFrom(1, 100_000).default(500),
  CATALOG_CACHE_TTL: timerMs.default(5_000),
  CATALOG_FLUSH_INTERVAL: timerMs.default(1_000),
  WEB_DIST_DIR: z.string().min(1).default('frontend/dist'),
  EXPLORER_SCAN_BUDGET: timerMs.default(100),
  BREAKDOWN_MAX_RAW_ROWS: intFrom(1, 100_000_000).default(1_000_000),
  DIMENSION_MAX_VALUES: intFrom(1, 100_000).default(1000),
  ALERT_TICK: timerMs.default(2_000),
  ALERT_ALLOWED_LATENESS: durationMs.default(30_000),
  DISPATCH_TICK: timerMs.default(1_000),
  DISPATCH_MAX_ATTEMPTS: intFrom(1, 50).default(12),
  WEBHOOK_TIMEOUT: timerMs.default(5_000),
  WEBHOOK_ALLOW_LOOPBACK: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
  SMTP_URL: z.string().url().default('smtp://127.0.0.1:2525'),
  SMTP_FROM: z.string().min(3).default('CustomerSignal <alerts@customersignal.local>'),
  MAIL_SINK_PORT: intFrom(0, 65_535).default(2525),
  MAIL_SINK_DIR: z.string().min(1).default('.customersignal/mail'),
  /** Accounts (docs/api.md#accounts): open sign-up (anyone may create a tenant) or invite-only (hosted). */
  SIGNUP_MODE: z.enum(['open', 'invite-only']).default('open'),
  /** The dashboard's "sign in with an API key" form (development); keys keep working for programs either way. */
  KEY_SIGNIN: z.enum(['on', 'off']).default('on'),
  SESSION_IDLE_TIMEOUT: durationMs.default(12 * 3_600_000),
  SESSION_ABSOLUTE_TIMEOUT: durationMs.default(7 * 86_400_000),
  /** auto: Secure when the request came over HTTPS (X-Forwarded-Proto, always on Lambda behind API Gateway). */
  SESSION_COOKIE_SECURE: z.enum(['auto', 'always', 'never']).default('auto'),
  /** scrypt cost, log2 N (r=8, p=1): 17 is OWASP's minimum (128 MiB, ~0.1-0.3 s per hash). */
  PASSWORD_SCRYPT_LOG_N: intFrom(14, 20).default(17),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: intFrom(1, 1000).default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: intFrom(1, 100_000).default(50),
  LOGIN_FAILURE_WINDOW: durationMs.default(15 * 60_000),
  /** Prefix of the failed-login counters in Redis (tests give each run its own). */
  LOGIN_THROTTLE_PREFIX: z.string().min(1).max(100).default('login-throttle'),
  /** How long an invite link and a password-reset link stay usable (docs/api.md#invites). */
  INVITE_TTL: durationMs.default(7 * 86_400_000),
  PASSWORD_RESET_TTL: durationMs.default(3_600_000),
  EMAIL_VERIFY_TTL: durationMs.default(48 * 3_600_000),
  /**
   * The dashboard's public origin, the base of the links in invite and reset e-mails (never taken from the request's
   * Host header, which a client chooses). Default: http://localhost:<PORT>.
   */
  APP_URL: z.string().url().optional(),
  /**
   * Single sign-on (docs/security.md#single-sign-on): the key text (at least 32 characters) that seals the tenants'
   * OIDC client secrets at rest with AES-256-GCM. In AWS, SSO_SECRET_KEY_ARN names a Secrets Manager secret {key}.
   */
  SSO_SECRET_KEY: z.string().min(32, 'at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  SSO_SECRET_KEY_ARN: arn.optional(),
  // AWS only (set by the CDK app, resolved by loadConfig() at cold start; unset locally).
  AWS_REGION: z.string().min(1).optional(),
  /** MSK: bootstrap brokers are read from the cluster (GetBootstrapBrokers) instead of KAFKA_BROKERS. */
  KAFKA_MSK_CLUSTER_ARN: arn.optional(),
  /** aws-iam: SASL OAUTHBEARER with the MSK IAM signer, over TLS. */
  KAFKA_AUTH: z.enum(['none', 'aws-iam']).default('none'),
  KAFKA_SSL: bool.default(false),
  /** Secrets Manager secret {username, password} of the database user (RDS-generated). */
  DATABASE_SECRET_ARN: arn.optional(),
  /** Migrations function only: secret {password} of the functions' least-privilege role, set by the migrations. */
  DATABASE_APP_SECRET_ARN: arn.optional(),
  /** Secrets Manager secret {username, password} of the ElastiCache user (REDIS_URL must be rediss://). */
  REDIS_SECRET_ARN: arn.optional(),
  /** Outbound email over SMTP with STARTTLS (SES: email-smtp.<region>.amazonaws.com through its VPC endpoint). */
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: intFrom(1, 65_535).default(587),
  SMTP_USERNAME: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  /** Secrets Manager secret {accessKeyId, secretAccessKey} of an IAM user allowed ses:SendRawEmail; the SES SMTP password is derived from it. */
  SMTP_SECRET_ARN: arn.optional(),
});

export type Config = {
  kafka: {
    brokers: string[];
    clientId: string;
    topics: { eventsRaw: string; eventsDlq: string; metricUpdates: string };
    eventsRawPartitions: number;
    groups: { aggregate: string; alert: string };
    sendTimeoutMs: number;
    /** Session timeout of the consumer groups the local runtime hosts (Lambda's event source has its own). */
    sessionTimeoutMs: number;
    maxQueuedEvents: number;
    /** TLS to the brokers (always with aws-iam). */
    ssl: boolean;
    /** 'aws-iam': MSK IAM auth (SASL OAUTHBEARER tokens signed for `awsRegion`). */
    auth: 'none' | 'aws-iam';
    awsRegion?: string;
    /** When set, loadConfig() replaces `brokers` with the cluster's IAM bootstrap brokers. */
    mskClusterArn?: string;
  };
  database: {
    url: string;
    poolSize: number;
    prepare: boolean;
    /** From the secret by loadConfig(); the URL then carries no password. */
    password?: string;
    secretArn?: string;
    /** The app role's secret, read by the migrations function to set that role's password. */
    appSecretArn?: string;
  };
  redis: { url: string; username?: string; password?: string; secretArn?: string };
  /** Outbound email: config only, used by the email sender. `password` from SMTP_PASSWORD or derived from SMTP_SECRET_ARN. */
  smtp: { host?: string; port: number; from?: string; username?: string; password?: string; secretArn?: string };
  aws: { region?: string };
  http: { host: string; port: number };
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  limits: {
    maxBodyBytes: number;
    maxEventsPerBatch: number;
    maxPropertiesBytes: number;
    maxPropertiesDepth: number;
    /** Segment endpoints: the per-event context, capped on its own (not counted against the properties' limit). */
    maxContextBytes: number;
    maxFutureSkewMs: number;
    retentionMs: number;
  };
  apiKeyCacheTtlMs: number;
  /** Per tenant, in events (token bucket); leaseMs: how much of the rate a process may lease at once (0: none). */
  rateLimit: { eventsPerSecond: number; burst: number; leaseMs: number };
  aggregateBatchSize: number;
  /** Attempts of a record that fails on its own before the aggregate handler dead-letters it (docs/architecture.md#rule-3-offsets-move-only-after-the-effect). */
  aggregateMaxRecordAttempts: number;
  schedulerTickMs: number;
  /** Event catalog: caps per project (approximate across processes), cache TTL, how often registrations are written. */
  catalog: { maxEventTypes: number; maxPropertiesPerType: number; cacheTtlMs: number; flushIntervalMs: number };
  webDistDir: string;
  /** With property filters the explorer scans time windows, newest first, and answers a shorter page (with a cursor) after this long. */
  explorerScanBudgetMs: number;
  /** Breakdowns (docs/api.md#breakdowns): raw events a raw breakdown may scan; K, the values a declared dimension keeps per bucket. */
  breakdowns: { maxRawRows: number; dimensionMaxValues: number };
  alerts: {
    tickMs: number;
    /** A firing rule whose condition turned false resolves only after this much time (late events). */
    allowedLatenessMs: number;
    dispatchTickMs: number;
    dispatchMaxAttempts: number;
  };
  webhooks: { timeoutMs: number; allowLoopback: boolean; allowedHosts: string[] };
  /** Outgoing mail (SES SMTP in AWS), and the local runtime's SMTP sink that keeps mails in a folder. */
  mail: { smtpUrl: string; from: string; sinkPort: number; sinkDir: string };
  /** People's accounts and sessions (docs/api.md#accounts, docs/security.md#accounts). */
  accounts: {
    signup: 'open' | 'invite-only';
    /** Whether the dashboard offers its API-key sign-in form (KEY_SIGNIN; GET /v1/auth/options). */
    keySignin: boolean;
    inviteTtlMs: number;
    passwordResetTtlMs: number;
    /** How long an e-mail verification link works (EMAIL_VERIFY_TTL). */
    emailVerifyTtlMs: number;
    /** Base of invite and reset links, without a trailing slash. */
    appUrl: string;
    sessionIdleMs: number;
    sessionAbsoluteMs: number;
    cookieSecure: 'auto' | 'always' | 'never';
    scryptLogN: number;
    /** Failed sign-ins counted per account and per client address in fixed windows (Redis). */
    throttle: { perAccount: number; perAddress: number; windowMs: number; keyPrefix: string };
  };
  /** Single sign-on: the key that seals client secrets (from SSO_SECRET_KEY, or the secret SSO_SECRET_KEY_ARN). */
  sso: { secretKey?: string; secretKeyArn?: string };
};

/** Thrown when the environment is not usable; the message is the one clear line to print. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`);
  }
  const e = result.data;
  const brokers = e.KAFKA_BROKERS.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b))
      throw new ConfigError(`Invalid configuration: KAFKA_BROKERS has "${b}", expected host:port[,host:port...]`);
  }
  if (e.RATE_LIMIT_BURST < e.MAX_EVENTS_PER_BATCH) {
    throw new ConfigError(
      `Invalid configuration: RATE_LIMIT_BURST=${e.RATE_LIMIT_BURST} must be at least MAX_EVENTS_PER_BATCH=${e.MAX_EVENTS_PER_BATCH}, or a full batch could never be accepted`,
    );
  }
  if (e.CATALOG_CACHE_TTL < 100 || e.CATALOG_CACHE_TTL > 300_000) {
    throw new ConfigError(
      `Invalid configuration: CATALOG_CACHE_TTL=${JSON.stringify(env.CATALOG_CACHE_TTL)} must be between 100ms and 5m (declared types and schema modes reach ingest within this time)`,
    );
  }
  if (e.KAFKA_AUTH === 'aws-iam' && !e.AWS_REGION) {
    throw new ConfigError(
      'Invalid configuration: KAFKA_AUTH=aws-iam needs AWS_REGION (the region the MSK IAM tokens are signed for)',
    );
  }
  if (
    (e.DATABASE_SECRET_ARN ||
      e.REDIS_SECRET_ARN ||
      e.SMTP_SECRET_ARN ||
      e.KAFKA_MSK_CLUSTER_ARN ||
      e.SSO_SECRET_KEY_ARN) &&
    !e.AWS_REGION
  ) {
    throw new ConfigError(
      'Invalid configuration: AWS_REGION is required with DATABASE_SECRET_ARN, REDIS_SECRET_ARN, SMTP_SECRET_ARN, SSO_SECRET_KEY_ARN or KAFKA_MSK_CLUSTER_ARN',
    );
  }
  // The brokers' default group.min/max.session.timeout.ms: a value outside is refused at join.
  if (e.KAFKA_SESSION_TIMEOUT < 6_000 || e.KAFKA_SESSION_TIMEOUT > 1_800_000) {
    throw new ConfigError(
      `Invalid configuration: KAFKA_SESSION_TIMEOUT=${JSON.stringify(env.KAFKA_SESSION_TIMEOUT)} must be between 6s and 30m`,
    );
  }
  if (e.SESSION_IDLE_TIMEOUT < 60_000 || e.SESSION_IDLE_TIMEOUT > e.SESSION_ABSOLUTE_TIMEOUT) {
    throw new ConfigError(
      `Invalid configuration: SESSION_IDLE_TIMEOUT=${JSON.stringify(env.SESSION_IDLE_TIMEOUT ?? '12h')} must be at least 1m and at most SESSION_ABSOLUTE_TIMEOUT`,
    );
  }
  if (e.LOGIN_FAILURE_WINDOW < 1_000) {
    throw new ConfigError(
      `Invalid configuration: LOGIN_FAILURE_WINDOW=${JSON.stringify(env.LOGIN_FAILURE_WINDOW)} must be at least 1s`,
    );
  }
  if (e.CATALOG_FLUSH_INTERVAL < 100 || e.CATALOG_FLUSH_INTERVAL > 60_000) {
    throw new ConfigError(
      `Invalid configuration: CATALOG_FLUSH_INTERVAL=${JSON.stringify(env.CATALOG_FLUSH_INTERVAL)} must be between 100ms and 60s`,
    );
  }
  return {
    kafka: {
      brokers,
      clientId: e.KAFKA_CLIENT_ID,
      topics: {
        eventsRaw: e.KAFKA_TOPIC_EVENTS_RAW,
        eventsDlq: e.KAFKA_TOPIC_EVENTS_DLQ,
        metricUpdates: e.KAFKA_TOPIC_METRIC_UPDATES,
      },
      eventsRawPartitions: e.KAFKA_EVENTS_RAW_PARTITIONS,
      groups: { aggregate: e.KAFKA_GROUP_AGGREGATE, alert: e.KAFKA_GROUP_ALERT },
      sendTimeoutMs: e.KAFKA_SEND_TIMEOUT,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT,
      maxQueuedEvents: e.KAFKA_MAX_QUEUED_EVENTS,
      ssl: e.KAFKA_SSL || e.KAFKA_AUTH === 'aws-iam',
      auth: e.KAFKA_AUTH,
      ...(e.AWS_REGION && { awsRegion: e.AWS_REGION }),
      ...(e.KAFKA_MSK_CLUSTER_ARN && { mskClusterArn: e.KAFKA_MSK_CLUSTER_ARN }),
    },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 2 : 10),
      prepare: e.DATABASE_PREPARE,
      ...(e.DATABASE_SECRET_ARN && { secretArn: e.DATABASE_SECRET_ARN }),
      ...(e.DATABASE_APP_SECRET_ARN && { appSecretArn: e.DATABASE_APP_SECRET_ARN }),
    },
    redis: { url: e.REDIS_URL, ...(e.REDIS_SECRET_ARN && { secretArn: e.REDIS_SECRET_ARN }) },
    smtp: {
      port: e.SMTP_PORT,
      ...(e.SMTP_HOST && { host: e.SMTP_HOST }),
      ...(e.SMTP_FROM && { from: e.SMTP_FROM }),
      ...(e.SMTP_USERNAME && { username: e.SMTP_USERNAME }),
      ...(e.SMTP_PASSWORD && { password: e.SMTP_PASSWORD }),
      ...(e.SMTP_SECRET_ARN && { secretArn: e.SMTP_SECRET_ARN }),
    },
    aws: { ...(e.AWS_REGION && { region: e.AWS_REGION }) },
    http: { host: e.HOST, port: e.PORT },
    logLevel: e.LOG_LEVEL,
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxEventsPerBatch: e.MAX_EVENTS_PER_BATCH,
      maxPropertiesBytes: e.MAX_PROPERTIES_BYTES,
      maxPropertiesDepth: e.MAX_PROPERTIES_DEPTH,
      maxContextBytes: e.MAX_CONTEXT_BYTES,
      maxFutureSkewMs: e.MAX_FUTURE_SKEW,
      retentionMs: e.RETENTION,
    },
    apiKeyCacheTtlMs: e.API_KEY_CACHE_TTL,
    rateLimit: {
      eventsPerSecond: e.RATE_LIMIT_EVENTS_PER_SECOND,
      burst: e.RATE_LIMIT_BURST,
      leaseMs: e.RATE_LIMIT_LEASE,
    },
    aggregateBatchSize: e.AGGREGATE_BATCH_SIZE,
    aggregateMaxRecordAttempts: e.AGGREGATE_MAX_RECORD_ATTEMPTS,
    schedulerTickMs: e.SCHEDULER_TICK,
    catalog: {
      maxEventTypes: e.CATALOG_MAX_EVENT_TYPES,
      maxPropertiesPerType: e.CATALOG_MAX_PROPERTIES,
      cacheTtlMs: e.CATALOG_CACHE_TTL,
      flushIntervalMs: e.CATALOG_FLUSH_INTERVAL,
    },
    webDistDir: e.WEB_DIST_DIR,
    explorerScanBudgetMs: e.EXPLORER_SCAN_BUDGET,
    breakdowns: { maxRawRows: e.BREAKDOWN_MAX_RAW_ROWS, dimensionMaxValues: e.DIMENSION_MAX_VALUES },
    alerts: {
      tickMs: e.ALERT_TICK,
      allowedLatenessMs: e.ALERT_ALLOWED_LATENESS,
      dispatchTickMs: e.DISPATCH_TICK,
      dispatchMaxAttempts: e.DISPATCH_MAX_ATTEMPTS,
    },
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT,
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK,
      allowedHosts: e.WEBHOOK_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.SMTP_FROM, sinkPort: e.MAIL_SINK_PORT, sinkDir: e.MAIL_SINK_DIR },
    accounts: {
      signup: e.SIGNUP_MODE,
      keySignin: e.KEY_SIGNIN === 'on',
      inviteTtlMs: e.INVITE_TTL,
      passwordResetTtlMs: e.PASSWORD_RESET_TTL,
      emailVerifyTtlMs: e.EMAIL_VERIFY_TTL,
      appUrl: (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      sessionIdleMs: e.SESSION_IDLE_TIMEOUT,
      sessionAbsoluteMs: e.SESSION_ABSOLUTE_TIMEOUT,
      cookieSecure: e.SESSION_COOKIE_SECURE,
      scryptLogN: e.PASSWORD_SCRYPT_LOG_N,
      throttle: {
        perAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        perAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
        windowMs: e.LOGIN_FAILURE_WINDOW,
        keyPrefix: e.LOGIN_THROTTLE_PREFIX,
      },
    },
    sso: {
      ...(e.SSO_SECRET_KEY && { secretKey: e.SSO_SECRET_KEY }),
      ...(e.SSO_SECRET_KEY_ARN && { secretKeyArn: e.SSO_SECRET_KEY_ARN }),
    },
  };
}

/** True when the configuration names AWS resources whose values only loadConfig() can fetch. */
export function needsAwsResolution(c: Config): boolean {
  return Boolean(
    c.kafka.mskClusterArn || c.database.secretArn || c.redis.secretArn || c.smtp.secretArn || c.sso.secretKeyArn,
  );
}

let loaded: Config | undefined;
let loading: Promise<Config> | undefined;

/**
 * The process's configuration, read from the environment on first use. In AWS (secret ARNs, an MSK
 * cluster ARN) call `await loadConfig()` once first: the Lambda entry points do (functions/process-adapters.ts).
 */
export function config(): Config {
  if (loaded) return loaded;
  const parsed = parseConfig(process.env);
  if (needsAwsResolution(parsed)) {
    throw new ConfigError(
      'Configuration names AWS secrets or an MSK cluster: call `await loadConfig()` before config()',
    );
  }
  return (loaded = parsed);
}

/** config(), with AWS references resolved (secrets read, MSK bootstrap brokers looked up) once per process. */
export function loadConfig(): Promise<Config> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= (async () => {
    const parsed = parseConfig(process.env);
    if (!needsAwsResolution(parsed)) return (loaded = parsed);
    // Loaded only in AWS, so the local runtime never pulls in the AWS SDK.
    const { resolveAwsReferences } = await import('./aws/resolve');
    return (loaded = await resolveAwsReferences(parsed));
  })().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
