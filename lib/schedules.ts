// EventBridge schedules: the AWS side of the local runtime's scheduler tick.
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export interface SchedulesProps {
  readonly maintenance: lambda.IFunction;
}

export class Schedules extends Construct {
  readonly maintenanceRule: events.Rule;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.maintenanceRule = new events.Rule(this, 'Maintenance', {
      description: 'CustomerSignal maintenance: partitions ahead, API-key last-use flush',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // The next tick comes within a minute: a tick retried later than that only duplicates it.
      targets: [new targets.LambdaFunction(props.maintenance, { retryAttempts: 2, maxEventAge: Duration.minutes(1) })],
    });
  }
}
