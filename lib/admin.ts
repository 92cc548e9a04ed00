// The admin function: tenant, project and API-key commands on a deployed stack (functions/admin/handler.ts), the
// same commands as the local CLI. No route, no schedule: only principals allowed lambda:InvokeFunction on it (the
// deploying account's administrators) run it, with `customersignal --aws <stack> tenant create ...`.
import { Construct } from 'constructs';
import { CfnOutput, Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ADMIN_FUNCTION_OUTPUT } from '../adapters/aws/admin-output';
import type { FunctionDefaults } from './function-defaults';
import type { Storage } from './storage';

export interface AdminProps {
  readonly defaults: FunctionDefaults;
  readonly storage: Storage;
}

export class Admin extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: AdminProps) {
    super(scope, id);
    this.function = props.defaults.create(this, 'Function', {
      entry: 'admin/handler',
      description:
        'Operator commands (tenants, projects, API keys) invoked with IAM by `customersignal --aws <stack>`; keys are returned once',
      timeout: Duration.seconds(30),
      // Postgres only: the commands never touch Kafka or Redis (a revoked key leaves the caches within API_KEY_CACHE_TTL).
      connects: ['postgres'],
    });
    props.storage.grantPostgres(this.function);
    // The CLI finds the function by this output (adapters/aws/admin-invoke.ts), so its generated name may change freely.
    new CfnOutput(scope, ADMIN_FUNCTION_OUTPUT, {
      value: this.function.functionName,
      description:
        'The admin function: customersignal --aws <stack> tenant create <slug> (needs lambda:InvokeFunction on it)',
    });
  }
}
