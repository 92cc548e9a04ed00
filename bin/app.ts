// CDK entry point (`npm run synth`, `npx cdk deploy --all -c stage=<name>`): two stacks per stage,
// CustomerSignal-<stage>-data (stateful: VPC, MSK, Postgres, cache, schema) and CustomerSignal-<stage>
// (stateless: functions, API, dashboard, schedules, alarms), which depends on the first.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CustomerSignalStack } from '../lib/customersignal-stack';
import { acknowledgeFindings } from '../lib/nag';
import { stageFromContext } from '../lib/stage';
import { StatefulStack } from '../lib/stateful-stack';

const app = new App();
const stage = stageFromContext(app.node);
// Without account/region in the stage the stacks are environment-agnostic: synth needs no credentials
// and no AZ lookups, and `cdk deploy` targets the credentials' account and AWS_REGION.
const env = stage.account ? { env: { account: stage.account, region: stage.region } } : {};
const data = new StatefulStack(app, `CustomerSignal-${stage.name}-data`, {
  description: `CustomerSignal (${stage.name}), stateful: VPC, MSK, Postgres, cache, schema`,
  stage,
  ...env,
});
const stack = new CustomerSignalStack(app, `CustomerSignal-${stage.name}`, {
  description: `CustomerSignal (${stage.name}): real-time multi-tenant event analytics`,
  stage,
  data,
  ...env,
});

// cdk-nag 3: AwsSolutions findings fail `cdk synth` (cdk.out/policy-validation-report.json) unless
// fixed, or acknowledged with a written reason (lib/nag.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
acknowledgeFindings(stack);
