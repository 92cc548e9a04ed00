// `customersignal rebuild`: recomputes rollups, sums and unique-user sketches of a range from the raw table
// (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools), swaps them in and refreshes Redis; safe while the aggregate consumer runs.
import type { Command } from 'commander';
import { config } from '../adapters/config';
import { createAdapters } from '../adapters';
import { rebuildRange } from '../functions/maintenance/rebuild';
import { RebuildRangeError } from '../core/rebuild-plan';
import { CliError, tenantBySlug } from './admin';
import type { CliContext } from './cli-dlq';
import { progress, type Progress } from './progress';

function parseTime(flag: string, v: string): number {
  const ms = /^\d{4}-\d\d-\d\d/.test(v.trim()) ? Date.parse(v.trim()) : NaN;
  if (Number.isNaN(ms))
    throw new CliError(`${flag} must be an ISO time such as 2026-01-31 or 2026-01-31T12:00:00Z; got "${v}"`);
  return ms;
}

export function registerRebuildCommand(program: Command, cli: CliContext): void {
  program
    .command('rebuild')
    .description(
      'recompute the rollups of a range (whole UTC days) from the raw events, swap them in and refresh Redis',
    )
    .requiredOption('--from <iso-time>', 'start; widened to the start of its UTC day')
    .option('--to <iso-time>', 'end; widened to the end of its UTC day (default: today)')
    .option('--tenant <slug>', 'only this tenant')
    .action(async (o: { from: string; to?: string; tenant?: string }) => {
      const fromMs = parseTime('--from', o.from);
      const toMs = o.to === undefined ? undefined : parseTime('--to', o.to);
      const tenantId =
        o.tenant === undefined ? undefined : (await cli.withSql((sql) => tenantBySlug(sql, o.tenant!))).id;
      const adapters = createAdapters(config());
      let bar: Progress | undefined;
      try {
        const summary = await rebuildRange(
          adapters,
          { fromMs, toMs, tenantId },
          {
            onStart: (events) => (bar = progress('rebuild', events)),
            onProgress: (events) => bar?.advance(events),
          },
        ).catch((e: unknown) => {
          if (e instanceof RebuildRangeError) throw new CliError(e.message);
          throw e;
        });
        bar?.done();
        const text = `rebuilt ${summary.from} .. ${summary.to}: ${summary.tenants} tenants, ${summary.days} tenant-days, ${summary.events} events, ${summary.rows} rollup rows swapped in`;
        cli.print(cli.out(), { ...summary, tenant: o.tenant ?? null }, text);
      } finally {
        await adapters.close();
      }
    });
}
