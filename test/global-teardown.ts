// Stops the throwaway Kafka broker of the test run, if global-setup started one.
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<string, unknown>).__csTestKafka as
    { broker: { stop(): Promise<void> }; dataDir: string } | undefined;
  if (!started) return;
  await started.broker.stop();
  rmSync(started.dataDir, { recursive: true, force: true });
}
