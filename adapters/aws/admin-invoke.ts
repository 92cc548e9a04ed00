// `customersignal --aws <stack> ...`: finds the stack's admin function (its AdminFunctionName output) and invokes it
// with the caller's AWS credentials (lambda:Invoke; IAM decides who may). The only AWS calls of the admin CLI.
import * as cfn from '@aws-sdk/client-cloudformation';
import * as lambda from '@aws-sdk/client-lambda';
import { ADMIN_FUNCTION_OUTPUT } from './admin-output';

/** Sends one command payload to the admin function and returns its answer (the handler's JSON). */
export type AdminInvoke = (payload: unknown) => Promise<unknown>;

export class AwsAdminError extends Error {
  override name = 'AwsAdminError';
}

/** Reads the admin function's name from the stack's outputs. */
export async function adminFunctionName(stackName: string, region?: string): Promise<string> {
  const client = new cfn.CloudFormationClient({ ...(region && { region }) });
  try {
    const out = await client.send(new cfn.DescribeStacksCommand({ StackName: stackName }));
    const outputs: { OutputKey?: string; OutputValue?: string }[] = out.Stacks?.[0]?.Outputs ?? [];
    const name = outputs.find((o) => o.OutputKey === ADMIN_FUNCTION_OUTPUT)?.OutputValue;
    if (!name)
      throw new AwsAdminError(
        `stack ${stackName} has no ${ADMIN_FUNCTION_OUTPUT} output; deploy this version of the stack first`,
      );
    return name;
  } catch (e) {
    if (e instanceof AwsAdminError) throw e;
    throw new AwsAdminError(`cannot read the outputs of stack ${stackName}: ${(e as Error).message}`);
  } finally {
    client.destroy();
  }
}

/** An invoker bound to the stack's admin function (synchronous RequestResponse invocations). */
export async function awsAdminInvoke(stackName: string, region?: string): Promise<AdminInvoke> {
  const functionName = await adminFunctionName(stackName, region);
  const client = new lambda.LambdaClient({ ...(region && { region }) });
  return async (payload: unknown) => {
    const out = await client.send(
      new lambda.InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    const body = out.Payload ? Buffer.from(out.Payload as Uint8Array).toString('utf8') : '';
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      throw new AwsAdminError(`the admin function ${functionName} answered something that is not JSON`);
    }
    if (out.FunctionError) {
      const message = (parsed as { errorMessage?: string } | undefined)?.errorMessage ?? out.FunctionError;
      throw new AwsAdminError(`the admin function ${functionName} failed: ${message} (see its CloudWatch logs)`);
    }
    return parsed;
  };
}
