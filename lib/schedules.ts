// EventBridge schedules: the AWS side of the local runtime's scheduler tick.
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export interface SchedulesProps {
  readonly maintenance: lambda.IFunction;
  readonly alertTick: lambda.IFunction;
  readonly dispatch: lambda.IFunction;
}

/**
 * Every minute (EventBridge's finest rate; the local tick is 10 s, so `for` periods and absence rules
 * resolve to the minute in AWS). A tick retried later than a minute only duplicates the next one.
 */
export class Schedules extends Construct {
  readonly maintenanceRule: events.Rule;
  readonly alertTickRule: events.Rule;
  readonly dispatchRule: events.Rule;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const everyMinute = (ruleId: string, description: string, fn: lambda.IFunction) =>
      new events.Rule(this, ruleId, {
        description,
        schedule: events.Schedule.rate(Duration.minutes(1)),
        targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.minutes(1) })],
      });
    this.maintenanceRule = everyMinute(
      'Maintenance',
      'CustomerSignal maintenance: partitions ahead, retention, key-use flush, freshness',
      props.maintenance,
    );
    this.alertTickRule = everyMinute(
      'AlertTick',
      'CustomerSignal alert tick: absence rules, for periods, resolves',
      props.alertTick,
    );
    this.dispatchRule = everyMinute(
      'Dispatch',
      'CustomerSignal dispatcher: deliver pending notifications',
      props.dispatch,
    );
  }
}
