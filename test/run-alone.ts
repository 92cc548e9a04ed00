// Integration files run two at a time (jest's workers), except the ones that must run alone: the chaos suite stops and
// starts its own Kafka, Postgres and Redis against recovery time bounds, and sharing the two cores with a browser suite
// once made it miss one. Every integration file holds a Postgres advisory lock on the test server for its whole run:
// shared for most, exclusive for these. Postgres queues a new shared request behind a waiting exclusive one, so the
// exclusive file waits only for the files already running, never for ones started after it asked.
// Which files: test/run-alone.json. test/sequencer.js schedules them last, when the static checks and cdk synths that
// `npm test` and CI run beside jest are done too.
import postgres from 'postgres';
import { parseConfig } from '../adapters/config';
import runAlone from './run-alone.json';

/** The advisory lock's key: 'CSTEST' in ASCII. */
const LOCK_KEY = String(0x435354455354);

let lockSql: postgres.Sql | undefined;

beforeAll(async () => {
  const testPath = expect.getState().testPath ?? '';
  const admin = new URL(parseConfig(process.env).database.url);
  admin.pathname = '/postgres';
  // One connection: a session-level advisory lock lives as long as the connection that took it.
  lockSql = postgres(admin.toString(), { max: 1, idle_timeout: 0, onnotice: () => undefined });
  if (runAlone.paths.some((fragment) => testPath.replace(/\\/g, '/').includes(fragment)))
    await lockSql`select pg_advisory_lock(${LOCK_KEY}::bigint)`;
  else await lockSql`select pg_advisory_lock_shared(${LOCK_KEY}::bigint)`;
}, 60 * 60_000);

afterAll(async () => {
  // Closing the connection releases the lock.
  await lockSql?.end({ timeout: 5 });
});
