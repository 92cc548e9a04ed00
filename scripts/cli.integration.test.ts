import { runCli, type CliResult } from '../test/child-process';
import { useTestEnv } from '../test/harness';
import { createKeyResolver } from '../adapters/key-resolver';

const { env } = useTestEnv('cli', { topics: false });

function cli(...args: string[]): Promise<CliResult> {
  return runCli(env.config, args);
}

describe('admin CLI', () => {
  it("sets the time zone of a tenant's 1h/1d buckets, re-bucketed before the answer (docs/api.md#time-zones)", async () => {
    const tenant = await env.createTenant();
    const slug = tenant.slug;
    const zoned = JSON.parse((await cli('--json', 'tenant', 'set-timezone', '--tenant', slug, 'Europe/Berlin')).stdout);
    expect(zoned).toMatchObject({
      slug,
      timezone: 'Europe/Berlin',
      changed: true,
      rebucketing: { status: 'done', from_timezone: 'UTC', to_timezone: 'Europe/Berlin', rows: 0 },
    });
    expect((await cli('tenant', 'set-timezone', '--tenant', slug, 'europe/berlin')).stdout.trim()).toBe(
      `tenant ${slug}: time zone is already Europe/Berlin; nothing changed`,
    );
    const offset = await cli('tenant', 'set-timezone', '--tenant', slug, '+05:30');
    expect(offset.code).toBe(1);
    expect(offset.stderr.trim()).toMatch(/^error: timezone "\+05:30" is a UTC offset, .* send an IANA time zone name/);
    expect((await cli('tenant', 'set-timezone', '--tenant', 'no-such-tenant', 'UTC')).stderr.trim()).toBe(
      'error: tenant "no-such-tenant" does not exist; create it with: customersignal tenant create no-such-tenant',
    );
    expect((await env.adapters.tenantZones.zoneOf(tenant.id)).zone).toBe('Europe/Berlin');
  }, 180_000);

  it('creates a tenant, a project and a key that authenticates, lists and revokes it', async () => {
    expect((await cli('migrate')).stdout).toMatch(/up to date/);
    const slug = `cli-${env.runId.slice(-8)}`;
    const tenant = JSON.parse((await cli('--json', 'tenant', 'create', slug, '--name', 'CLI Co')).stdout);
    expect(tenant).toEqual({ id: expect.any(String), slug, name: 'CLI Co', retention_days: null });
    expect((await cli('tenant', 'set-retention', slug, '7')).stdout.trim()).toBe(
      `tenant ${slug}: retention 7 days (ingest and aggregation apply it within 30 s)`,
    );
    expect(JSON.parse((await cli('--json', 'tenant', 'list')).stdout)).toContainEqual(
      expect.objectContaining({ slug, retention_days: 7 }),
    );
    expect((await cli('tenant', 'set-retention', slug, 'forever')).stderr.trim()).toBe(
      'error: retention must be a number of days from 1 to 3650, or "default" (the platform\'s RETENTION); got "forever"',
    );
    expect((await cli('tenant', 'set-retention', slug, 'default')).code).toBe(0);
    const project = JSON.parse(
      (await cli('--json', 'project', 'create', '--tenant', slug, 'shop', '--schema-mode', 'strict')).stdout,
    );
    expect(project).toMatchObject({ slug: 'shop', schema_mode: 'strict' });

    const key = JSON.parse(
      (await cli('--json', 'key', 'create', '--tenant', slug, '--scope', 'ingest,read', '--project', 'shop')).stdout,
    );
    expect(key).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^cs_/),
      prefix: key.key.slice(0, 11),
      scopes: ['ingest', 'read'],
      tenant: slug,
      project: 'shop',
    });
    const resolver = createKeyResolver(env.adapters.sql, 0);
    expect(await resolver.resolve(key.key)).toMatchObject({
      tenantId: tenant.id,
      scopes: ['ingest', 'read'],
      projectSlug: 'shop',
    });

    const listed = JSON.parse((await cli('--json', 'key', 'list', '--tenant', slug)).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: key.id, prefix: key.prefix, revoked_at: null })]);
    expect(JSON.stringify(listed)).not.toContain(key.key);

    expect((await cli('key', 'revoke', key.id)).code).toBe(0);
    expect(await resolver.resolve(key.key)).toBeNull();
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const badScope = await cli('key', 'create', '--tenant', 'nobody', '--scope', 'write');
    expect(badScope.code).toBe(1);
    expect(badScope.stderr.trim().split('\n')).toEqual([
      'error: --scope: scope must be one or more of ingest, read, admin separated by commas; got "write"',
    ]);
    const noTenant = await cli('key', 'create', '--tenant', 'nobody', '--scope', 'read');
    expect(noTenant.stderr.trim()).toBe(
      'error: tenant "nobody" does not exist; create it with: customersignal tenant create nobody',
    );
    const badSlug = await cli('tenant', 'create', 'Bad Slug');
    expect(badSlug.code).toBe(1);
    expect(badSlug.stderr).toContain('must be 1-63 lower-case letters');
    const dup = await cli('tenant', 'create', `dup-${env.runId.slice(-6)}`);
    expect(dup.code).toBe(0);
    expect((await cli('tenant', 'create', `dup-${env.runId.slice(-6)}`)).stderr.trim()).toMatch(
      /^error: tenant "dup-.*" already exists$/,
    );
  });
});
