// CDK entry point (`npm run synth`, `npx cdk deploy -c stage=<name>`).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CustomerSignalStack } from '../lib/customersignal-stack';
import { acknowledgeFindings } from '../lib/nag';
import { stageFromContext } from '../lib/stage';

const app = new App();
const stage = stageFromContext(app.node);
// Without account/region in the stage the stack is environment-agnostic: synth needs no credentials
// and no AZ lookups, and `cdk deploy` targets the credentials' account and AWS_REGION.
const stack = new CustomerSignalStack(app, `CustomerSignal-${stage.name}`, {
  description: `CustomerSignal (${stage.name}): real-time multi-tenant event analytics`,
  stage,
  ...(stage.account && { env: { account: stage.account, region: stage.region } }),
});

// cdk-nag 3: AwsSolutions findings fail `cdk synth` (cdk.out/policy-validation-report.json) unless
// fixed, or acknowledged with a written reason (lib/nag.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
acknowledgeFindings(stack);
