import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import fc from 'fast-check';
import type { Config } from '../../adapters/config';
import { createHandler, isConnectionError, withBackoff } from './handler';

/** A fake clock: sleep() advances it, and the remaining time is a budget minus the elapsed time. */
function fakeClock(budgetMs: number) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    elapsed: () => now,
    remainingMs: () => budgetMs - now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const create = { RequestType: 'Create', ResourceProperties: {} } as unknown as CloudFormationCustomResourceEvent;

describe('withBackoff', () => {
  it('retries with doubling, capped, jittered waits until the attempt succeeds', async () => {
    const clock = fakeClock(14 * 60_000);
    let calls = 0;
    const result = await withBackoff(
      async () => {
        calls++;
        if (calls < 8) throw refused();
        return 'ok';
      },
      { remainingMs: clock.remainingMs, sleep: clock.sleep, random: () => 1 },
    );
    expect(result).toBe('ok');
    expect(clock.sleeps).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('never waits into the reserve: gives up with the last error while time remains for the response', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 15 * 60_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (budget, reserve, r) => {
          const clock = fakeClock(budget);
          let calls = 0;
          const err = refused();
          await expect(
            withBackoff(
              async () => {
                calls++;
                throw err;
              },
              { remainingMs: clock.remainingMs, sleep: clock.sleep, reserveMs: reserve, random: () => r },
            ),
          ).rejects.toBe(err);
          expect(clock.remainingMs()).toBeGreaterThanOrEqual(Math.min(reserve, budget));
          expect(calls).toBe(clock.sleeps.length + 1);
          for (const s of clock.sleeps) expect(s).toBeLessThanOrEqual(30_000);
        },
      ),
    );
  });

  it('does not retry what retrying cannot fix', async () => {
    const clock = fakeClock(600_000);
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(
      withBackoff(
        async () => {
          throw syntax;
        },
        { remainingMs: clock.remainingMs, sleep: clock.sleep, retryable: isConnectionError },
      ),
    ).rejects.toBe(syntax);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('isConnectionError', () => {
  it('retries connection failures and "not ready" server states, not SQL errors', () => {
    for (const code of [
      'ECONNREFUSED',
      'ETIMEDOUT',
      'ENOTFOUND',
      'CONNECT_TIMEOUT',
      'CONNECTION_CLOSED',
      '08006',
      '57P03',
      '53300',
    ]) {
      expect(isConnectionError({ code })).toBe(true);
    }
    for (const code of ['42601', '42P01', '23505', '28P01']) expect(isConnectionError({ code })).toBe(false);
  });
});

describe('migrations custom resource', () => {
  it("waits out a database that is not reachable yet (RDS Proxy registering its target) within the function's time", async () => {
    const clock = fakeClock(14 * 60_000);
    let attempts = 0;
    const handler = createHandler({
      loadConfig: async () => ({}) as Config,
      sleep: clock.sleep,
      runMigrations: async () => {
        attempts++;
        // Unreachable for the first ~3 minutes.
        if (clock.elapsed() < 180_000) throw refused();
        return { applied: ['013_app_role.sql'], alreadyApplied: 12 };
      },
    });
    const result = await handler(create, { getRemainingTimeInMillis: clock.remainingMs });
    expect(result).toEqual({ PhysicalResourceId: 'customersignal-migrations', Data: { Applied: '013_app_role.sql' } });
    expect(attempts).toBeGreaterThan(1);
    expect(clock.elapsed()).toBeGreaterThanOrEqual(180_000);
  });

  it('fails the deploy with the error once the time is spent', async () => {
    const clock = fakeClock(5 * 60_000);
    const handler = createHandler({
      loadConfig: async () => ({}) as Config,
      sleep: clock.sleep,
      runMigrations: async () => {
        throw refused();
      },
    });
    await expect(handler(create, { getRemainingTimeInMillis: clock.remainingMs })).rejects.toThrow(/ECONNREFUSED/);
    expect(clock.remainingMs()).toBeGreaterThanOrEqual(60_000);
  });

  it('leaves the database alone on delete', async () => {
    const handler = createHandler({
      loadConfig: async () => {
        throw new Error('must not load');
      },
      sleep: async () => undefined,
      runMigrations: async () => {
        throw new Error('must not run');
      },
    });
    const event = {
      RequestType: 'Delete',
      PhysicalResourceId: 'customersignal-migrations',
    } as unknown as CloudFormationCustomResourceEvent;
    await expect(handler(event)).resolves.toEqual({ PhysicalResourceId: 'customersignal-migrations' });
  });
});
