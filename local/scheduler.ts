// The local stand-in for EventBridge schedules: runs a function every tick, never two ticks at once.
import { logger, withLogContext } from '../adapters/logger';

export function startScheduler(
  name: string,
  everyMs: number,
  run: (event: unknown) => Promise<unknown>,
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    const event = {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      detail: {},
    };
    // Each run logs in its own context (the lines of requests and batches running meanwhile keep theirs).
    running = withLogContext({ schedule: name }, () => run(event))
      .catch((error: unknown) => logger.warn('scheduled run failed', { schedule: name, error: error as Error }))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
