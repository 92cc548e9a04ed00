// One JSON secret from Secrets Manager (the migrations read the app role's password with it).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export async function readJsonSecret(arn: string, region: string | undefined): Promise<Record<string, unknown>> {
  const client = new SecretsManagerClient({ region });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const value: unknown = JSON.parse(SecretString ?? '');
    if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    // The message never includes the secret's value, and the parse error is not attached: its message quotes the text.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`secret ${arn} could not be read as a JSON object: ${(e as Error).name}`);
  } finally {
    client.destroy();
  }
}
