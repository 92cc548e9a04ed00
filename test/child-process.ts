// Running the project's own commands as child processes against a test world's configuration.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../adapters/config';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..');

/** The environment that points a child process at the same database, broker, topics and group. */
export function childEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: config.database.url,
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    KAFKA_TOPIC_EVENTS_RAW: config.kafka.topics.eventsRaw,
    KAFKA_TOPIC_EVENTS_DLQ: config.kafka.topics.eventsDlq,
    KAFKA_TOPIC_METRIC_UPDATES: config.kafka.topics.metricUpdates,
    KAFKA_GROUP_AGGREGATE: config.kafka.groups.aggregate,
    KAFKA_GROUP_ALERT: config.kafka.groups.alert,
    LOG_LEVEL: 'ERROR',
    ...extra,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `customersignal <args>` as a user runs it; a non-zero exit is a result, not an exception. */
export async function runCli(
  config: Config,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'scripts/cli.ts'), ...args], {
      cwd: ROOT,
      env: childEnv(config, extraEnv),
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/**
 * Whether a process with this pid still runs: signal 0 checks that it exists without sending anything, and on Linux a
 * zombie (exited, not yet reaped: an orphan under an init that does not reap) counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces or parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone in between, or no /proc at all (not Linux: existing is all we know).
    return !existsSync('/proc/self/stat');
  }
}
