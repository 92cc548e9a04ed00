// GET /healthz and /readyz: no auth, and nothing about configuration or tenants in the answer.
import type { Adapters } from '../../adapters';

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(
  deps: Pick<Adapters, 'health'>,
): Promise<{ ready: boolean; checks: Record<string, 'ok' | 'failing'> }> {
  const check = (p: () => Promise<unknown>) =>
    within(2_000, p()).then(
      () => 'ok' as const,
      () => 'failing' as const,
    );
  const [postgres, redis, kafka] = await Promise.all([
    check(deps.health.postgres),
    check(deps.health.redis),
    check(deps.health.kafka),
  ]);
  const checks = { kafka, postgres, redis };
  return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
}
