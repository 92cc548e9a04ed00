// The integration project's test environment: Node's, plus a Postgres advisory lock held from before a test file's
// first hook until after its last cleanup. Integration files run two at a time (jest's workers), except those that must
// have the machine to themselves: the chaos suite stops and starts its own Kafka, Postgres and Redis against recovery
// time bounds, and sharing the two cores with a browser suite once made it miss one. Most files hold the lock shared,
// those listed in run-alone.json exclusively. Postgres queues a new shared request behind a waiting exclusive one, so
// an exclusive file waits only for the files already running, never for ones started after it asked; sequencer.js
// schedules such files last, after the static checks and cdk synths that `npm test` and CI run beside jest.
// The lock is taken in setup() and released in teardown(), around every hook of the file (afterAll hooks run in the
// order they were declared, so a setup file's afterAll would release it before the file's own cleanup).
import { TestEnvironment } from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import postgres from 'postgres';
import { parseConfig } from '../adapters/config';
import runAlone from './run-alone.json';

/** The advisory lock's key: 'CSTEST' in ASCII. */
const LOCK_KEY = String(0x435354455354);

export default class RunAloneEnvironment extends TestEnvironment {
  private readonly alone: boolean;
  private lockSql: postgres.Sql | undefined;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const path = context.testPath.replace(/\\/g, '/');
    this.alone = runAlone.paths.some((fragment) => path.includes(fragment));
  }

  override async setup(): Promise<void> {
    await super.setup();
    const admin = new URL(parseConfig(process.env).database.url);
    admin.pathname = '/postgres';
    // One connection that never retires on its own: a session-level advisory lock lives as long as it.
    this.lockSql = postgres(admin.toString(), {
      max: 1,
      idle_timeout: 0,
      max_lifetime: 0,
      onnotice: () => undefined,
    });
    if (this.alone) await this.lockSql`select pg_advisory_lock(${LOCK_KEY}::bigint)`;
    else await this.lockSql`select pg_advisory_lock_shared(${LOCK_KEY}::bigint)`;
  }

  override async teardown(): Promise<void> {
    // Closing the connection releases the lock.
    await this.lockSql?.end({ timeout: 5 });
    await super.teardown();
  }
}
