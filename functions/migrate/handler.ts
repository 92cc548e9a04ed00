// CloudFormation custom resource (through the CDK Provider framework): applies the SQL migrations on
// every deploy that changes them — the same migrate() as `customersignal migrate`.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { loadConfig } from '../../adapters/config';
import { createSql } from '../../adapters/postgres/client';
import { migrate } from '../../adapters/postgres/migrate';
import { logger } from '../../adapters/logger';

export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> {
  const physicalResourceId = 'customersignal-migrations';
  // Deleting the stack must not touch the data (the database has its own removal policy).
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const cfg = await loadConfig();
  const sql = createSql({ ...cfg.database, poolSize: 1 });
  try {
    const result = await migrate(sql);
    logger.info('migrations', { applied: result.applied, alreadyApplied: result.alreadyApplied });
    return { PhysicalResourceId: physicalResourceId, Data: { Applied: result.applied.join(',') || '(none)' } };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
