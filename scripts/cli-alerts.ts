// `customersignal alerts list|test-channel`: a tenant's alert rules with their state, and a test notification sent
// straight to one of a rule's channels (signed like the real ones, state "test"), with the outcome printed.
import type { Command } from 'commander';
import { config } from '../adapters/config';
import { listRules, getRule } from '../adapters/postgres/alert-rules-store';
import { currentStates } from '../adapters/postgres/alert-store';
import { createNotifiers } from '../adapters/notifiers';
import { notificationPayload } from '../core/alert-message';
import { formatDuration } from '../core/alert-rule';
import { uuidv7, isUuid } from '../core/ids';
import { deliver } from '../adapters/dispatcher';
import { CliError, tenantBySlug } from './admin';
import type { CliContext } from './cli-dlq';

export function registerAlertCommands(program: Command, cli: CliContext): void {
  const alerts = program.command('alerts').description('alert rules');
  alerts
    .command('list')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .action(async (o: { tenant: string }) => {
      const rows = await cli.withSql(async (sql) => {
        const tenant = await tenantBySlug(sql, o.tenant);
        const [rules, states] = await Promise.all([listRules(sql, tenant.id), currentStates(sql, tenant.id)]);
        return rules.map((r) => ({ r, s: states.get(r.rule.id) }));
      });
      const data = rows.map(({ r, s }) => ({
        id: r.rule.id,
        name: r.rule.name,
        enabled: r.rule.enabled,
        metric: r.rule.metric,
        event_type: r.rule.eventType,
        condition: `${r.rule.op} ${r.rule.threshold}`,
        window: formatDuration(r.rule.windowMs),
        channels: r.rule.channels.map((c) => (c.type === 'webhook' ? `webhook ${c.url}` : `email ${c.to.join(',')}`)),
        state: s?.state ?? 'ok',
        since: s?.since ?? null,
        value: s?.value ?? null,
      }));
      cli.print(
        cli.out(),
        data,
        cli.table(
          data.map((d) => [
            d.id,
            d.name,
            d.enabled ? d.state : 'disabled',
            `${d.metric}(${d.event_type}) ${d.condition} in ${d.window}`,
            d.channels.join('; ') || '-',
          ]),
        ),
      );
    });
  alerts
    .command('test-channel')
    .description("send a test notification to a rule's channel now and print the outcome")
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--rule <id>', 'rule id (see: alerts list)')
    .option('--channel <n>', "which of the rule's channels, counting from 1", '1')
    .action(async (o: { tenant: string; rule: string; channel: string }) => {
      if (!isUuid(o.rule))
        throw new CliError(
          `--rule must be a rule id such as 0192f3c4-...; see: customersignal alerts list --tenant ${o.tenant}`,
        );
      const stored = await cli.withSql(async (sql) => getRule(sql, (await tenantBySlug(sql, o.tenant)).id, o.rule));
      if (!stored) throw new CliError(`no alert rule ${o.rule} in tenant "${o.tenant}"`);
      const index = Number(o.channel);
      const channel = stored.rule.channels[index - 1];
      if (!Number.isInteger(index) || !channel)
        throw new CliError(
          `--channel must be 1 to ${stored.rule.channels.length} (the rule has ${stored.rule.channels.length} channels)`,
        );
      const id = uuidv7();
      const notifiers = createNotifiers(config());
      const target = channel.type === 'webhook' ? channel.url : channel.to.join(', ');
      try {
        const { statusCode } = await deliver(notifiers, {
          id,
          channel,
          payload: { ...notificationPayload(stored.rule, id, 'test', null, Date.now()) },
        });
        cli.print(
          cli.out(),
          { delivered: true, channel: channel.type, target, delivery_id: id, status_code: statusCode },
          `sent a test notification to ${channel.type} ${target}${statusCode ? ` (HTTP ${statusCode})` : ''}, delivery id ${id}`,
        );
      } catch (e) {
        throw new CliError(`the test notification to ${channel.type} ${target} failed: ${(e as Error).message}`);
      } finally {
        notifiers.close();
      }
    });
}
