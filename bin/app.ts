// CDK entry point (`npm run synth`, `npx cdk deploy`).
import { App } from 'aws-cdk-lib';
import { CustomerSignalStack } from '../lib/customersignal-stack';

const app = new App();
// Environment-agnostic on purpose: synth needs no credentials and no AZ lookups. The account and
// region come from the deploying credentials (`cdk deploy` with AWS_REGION / a profile).
new CustomerSignalStack(app, 'CustomerSignal', {
  description: 'CustomerSignal: real-time multi-tenant event analytics',
});
