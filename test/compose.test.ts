// docker-compose.yml, docker-compose.localstack.yml and the Dockerfile, checked without a Docker engine (there is
// none here): the compose files against the Compose Specification's JSON schema, and both against the code they run.
//
// test/fixtures/compose-spec.json is a verbatim copy of schema/compose-spec.json from
// https://github.com/compose-spec/compose-spec at commit 00655e2222608fa6eaecdf12ac5195889ca2244a (74,133 bytes).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { parseConfig } from '../adapters/config';
import { KAFKA_MAX_MESSAGE_BYTES } from '../adapters/kafka/limits';
import { parseStartArgs, ROLES } from '../local/roles';
import { KAFKA_VERSION } from '../scripts/kafka/broker';

// js-yaml (a devDependency) parses the compose files.
import yaml from 'js-yaml';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

type Service = {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

// The schema names its meta-schema https://json-schema.org/draft-07/schema (no trailing #): ajv's draft-07 under that id,
// so the schema itself is checked too. strict: false for its annotation keyword "deprecated".
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addMetaSchema({ ...(draft07 as object), $id: 'https://json-schema.org/draft-07/schema' });
const validate = ajv.compile(JSON.parse(read('test/fixtures/compose-spec.json')));
const errorsOf = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

const compose = yaml.load(read('docker-compose.yml')) as Compose;
const platformServices = Object.entries(compose.services).filter(([, s]) => s.image === 'customersignal:local');
const dockerfile = read('Dockerfile');

/** ${VAR:-default} as Compose interpolates it with VAR unset (and ${VAR:?msg} as an empty value). */
const interpolate = (v: string | number) =>
  String(v).replace(/\$\{[A-Z_]+(?::-([^}]*)|:\?[^}]*)?\}/g, (_, d: string | undefined) => d ?? '');

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema, and so is docker-compose.localstack.yml', () => {
    expect(errorsOf(compose)).toEqual([]);
    expect(errorsOf(yaml.load(read('docker-compose.localstack.yml')))).toEqual([]);
  });

  it('the schema check is not vacuous: it refuses what Compose refuses', () => {
    expect(errorsOf({ services: { a: { image: 'x', healthcheck: { test: 1 } } } })).not.toEqual([]);
    expect(
      errorsOf({ services: { a: { image: 'x', depends_on: { b: { condition: 'service_ready' } } } } }),
    ).not.toEqual([]);
    expect(errorsOf({ services: { a: { imag: 'x' } } })).not.toEqual([]);
  });

  it('runs every role once, each with --only (so the demo stays off), from the one image', () => {
    const roles = platformServices
      .filter(([name]) => name !== 'init')
      .map(([name, s]) => {
        const args = parseStartArgs(s.command ?? []);
        expect({ name, only: args.only }).toEqual({ name, only: true });
        return args.roles;
      });
    expect(roles.flat().sort()).toEqual([...ROLES].sort());
    expect(new Set(platformServices.map(([, s]) => s.build?.target))).toEqual(new Set(['app']));
  });

  it('runs migrations and topics once before the roles, which wait for healthy stores', () => {
    const init = compose.services.init!;
    expect(init.entrypoint!.join(' ')).toMatch(/scripts\/cli\.ts migrate && .*scripts\/cli\.ts topics$/);
    for (const [name, s] of platformServices.filter(([n]) => n !== 'init')) {
      expect({ name, deps: s.depends_on }).toEqual({
        name,
        deps: {
          postgres: { condition: 'service_healthy' },
          valkey: { condition: 'service_healthy' },
          kafka: { condition: 'service_healthy' },
          init: { condition: 'service_completed_successfully' },
        },
      });
    }
  });

  it('gives the stores and the API healthchecks, and the stores named volumes', () => {
    for (const name of ['postgres', 'valkey', 'kafka', 'http'])
      expect({ name, test: compose.services[name]!.healthcheck?.test }).toEqual({ name, test: expect.any(Array) });
    const mounts = Object.fromEntries(
      ['postgres', 'valkey', 'kafka'].map((n) => [n, compose.services[n]!.volumes!.map((v) => v.split(':')[0])]),
    );
    expect(mounts).toEqual({ postgres: ['postgres-data'], valkey: ['valkey-data'], kafka: ['kafka-data'] });
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['kafka-data', 'postgres-data', 'valkey-data']);
  });

  it('runs the Kafka version and message size the code is developed against', () => {
    const kafka = compose.services.kafka!;
    expect(kafka.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(compose.services['kafka-data-owner']!.image).toBe(kafka.image);
    expect(Number(kafka.environment!.KAFKA_MESSAGE_MAX_BYTES)).toBe(KAFKA_MAX_MESSAGE_BYTES);
    expect(kafka.environment!.KAFKA_ADVERTISED_LISTENERS).toBe(
      `PLAINTEXT://${interpolate(platformServices[0]![1].environment!.KAFKA_BROKERS!)}`,
    );
    expect(interpolate(kafka.environment!.CLUSTER_ID!)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("gives the roles an environment the platform's config accepts, pointing at the compose services", () => {
    for (const [name, s] of platformServices) {
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      const cfg = parseConfig(env);
      expect({
        name,
        db: new URL(cfg.database.url).host,
        redis: new URL(cfg.redis.url).host,
        kafka: cfg.kafka.brokers,
      }).toEqual({
        name,
        db: 'postgres:5432',
        redis: 'valkey:6379',
        kafka: ['kafka:9092'],
      });
      expect(cfg.webhooks.allowLoopback).toBe(false);
    }
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  it('copies only files and folders that exist', () => {
    const sources = instructions.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
  });

  it('runs npm scripts and entry points that exist, and the binaries it calls are dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const npmRuns = [...dockerfile.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(npmRuns).toEqual(['build:web']);
    for (const script of npmRuns) expect(pkg.scripts[script]).toBeDefined();
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(entrypoint).toEqual(['node_modules/.bin/tsx', 'scripts/start.ts']);
    expect(pkg.devDependencies.tsx).toBeDefined();
    expect(pkg.scripts.start).toBe('tsx scripts/start.ts');
    expect(existsSync(join(ROOT, entrypoint[1]!))).toBe(true);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(parseStartArgs(cmd)).toMatchObject({ only: true });
    // The compose file's init service runs the CLI from the same image.
    expect(existsSync(join(ROOT, 'scripts/cli.ts'))).toBe(true);
  });

  it('has the stages compose builds, with the hll package of the Postgres major it runs', () => {
    const stages = instructions.filter((l) => l.startsWith('FROM ')).map((l) => / AS ([\w-]+)$/.exec(l)?.[1]);
    expect(stages).toEqual(['postgres-hll', 'app']);
    expect(compose.services.postgres!.build!.target).toBe('postgres-hll');
    const major = /^FROM postgres:(\d+)-/m.exec(dockerfile)![1];
    expect(dockerfile).toContain(`postgresql-${major}-hll`);
    // The node image's major is the one package.json's engines and development use.
    expect(/^FROM node:(\d+)-/m.exec(dockerfile)![1]).toBe(
      />=(\d+)/.exec(JSON.parse(read('package.json')).engines.node)![1],
    );
  });

  it('keeps secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['node_modules', '.env', '.customersignal', '.cache', 'cdk.out', '.git']),
    );
  });
});
