// `npm run test:chaos [-- --long] [-- --doc docs/chaos.md] [-- --keep-logs <dir>]`: the platform under faults.
// Starts its own Kafka, Postgres and Redis on free ports and the roles as separate processes, ingests steadily from
// several SDK producers, SIGKILLs roles and stops services one at a time, then checks that nothing acknowledged was
// lost or counted twice and that every alert notification was delivered. Prints a table; exits 1 on any failure.
import { writeFileSync } from 'node:fs';
import { longPlan, shortPlan } from '../test/chaos/faults';
import { runChaos } from '../test/chaos/run';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const long = argv.includes('--long');
  const docIdx = argv.indexOf('--doc');
  const doc = docIdx >= 0 ? argv[docIdx + 1] : undefined;
  const keepIdx = argv.indexOf('--keep-logs');
  const keepLogsIn = keepIdx >= 0 ? argv[keepIdx + 1] : undefined;
  const plan = long ? longPlan() : shortPlan();
  const result = await runChaos(plan, { ...(keepLogsIn && { keepLogsIn }) });

  const out = [
    '',
    `chaos (${plan.name}): ${plan.faults.length} faults, ${plan.producers} producers at ${plan.eventsPerSecond} events/s, ${result.elapsedS.toFixed(0)} s`,
    '',
    result.table,
    '',
    ...result.notes.map((n) => `- ${n}`),
    '',
    result.ok ? 'chaos: PASSED' : `chaos: FAILED\n${result.failures.map((f) => `  ✗ ${f}`).join('\n')}`,
  ].join('\n');
  process.stdout.write(`${out}\n`);
  if (doc) {
    writeFileSync(
      doc,
      [
        '# Chaos run',
        '',
        `Produced by \`npm run test:chaos${long ? ' -- --long' : ''}\` (the ${plan.name} version) on ${new Date().toISOString().slice(0, 10)}:`,
        `${plan.faults.length} faults, one at a time, under steady ingest from ${plan.producers} SDK producers at ${plan.eventsPerSecond} events/s; ${result.elapsedS.toFixed(0)} s in all.`,
        '',
        'A row counts the events *tracked* during that fault phase (each phase has its own event type). "down" is the time from',
        'the fault to the start of the repair (for a SIGKILL the role is restarted at once; the in-flight kills include waiting for the hanging delivery); "recovery" is the time from the',
        'start of the repair until every event acknowledged so far is in the raw store, the ingest server acknowledged a new',
        'request and one of its events is stored, and no alert notification is pending. "double-counted" is raw rows beyond one per event_id plus rollup',
        'counts beyond the distinct stored events.',
        '',
        result.table,
        '',
        ...result.notes.map((n) => `- ${n}`),
        '',
        result.ok ? 'Result: passed.' : `Result: FAILED\n\n${result.failures.map((f) => `- ${f}`).join('\n')}`,
        '',
      ].join('\n'),
    );
  }
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`chaos: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
