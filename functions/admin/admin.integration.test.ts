// The admin function's handler (what lib/admin.ts deploys and `customersignal --aws` invokes), against the real
// Postgres: the first tenant and its key, then events through the local runtime with that key.
import fc from 'fast-check';
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { buildCli } from '../../scripts/cli';
import { ADMIN_COMMANDS } from './commands';
import { createAdminHandler, type AdminResponse } from './handler';
import { listTenants } from '../../adapters/postgres/tenants-store';
import { operatorStores } from '../../adapters/postgres/operator-stores';

const created: string[] = [];
const { env, runtime } = useTestEnv('admin', { runtime: true, beforeCleanup: (env) => env.deleteTenantKeys(created) });
let admin: (event: unknown) => Promise<AdminResponse>;

beforeAll(() => {
  admin = createAdminHandler({
    tenants: env.adapters.tenants,
    apiKeys: env.adapters.apiKeys,
    tenantZones: env.adapters.tenantZones,
    invites: operatorStores(env.adapters.sql).invites,
    settings: {
      retentionMs: env.config.limits.retentionMs,
      appUrl: env.config.accounts.appUrl,
      inviteTtlMs: env.config.accounts.inviteTtlMs,
      now: Date.now,
    },
  });
});

const slugOf = (name: string) => `${name}-${env.runId.slice(-8)}`.replace(/_/g, '-');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command's data has its own shape; the tests read fields
async function ok(event: unknown): Promise<{ data: any; text: string }> {
  const answer = await admin(event);
  if (!answer.ok) throw new Error(`admin refused ${JSON.stringify(event)}: ${answer.error}`);
  return answer;
}

describe('admin function', () => {
  it('creates the first tenant, a project and a key (returned once) that ingests through the runtime', async () => {
    const slug = slugOf('first');
    const tenant = await ok({ command: 'tenant create', slug, name: 'First Co' });
    created.push(tenant.data.id);
    expect(tenant.data).toEqual({ id: expect.any(String), slug, name: 'First Co', retention_days: null });
    expect((await ok({ command: 'project create', tenant: slug, slug: 'web' })).data).toMatchObject({
      slug: 'web',
      schema_mode: 'open',
    });
    const ingestKey = (await ok({ command: 'key create', tenant: slug, scope: 'ingest' })).data;
    const readKey = (await ok({ command: 'key create', tenant: slug, scope: 'read', project: 'web' })).data;
    expect(ingestKey).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^cs_/),
      prefix: ingestKey.key.slice(0, 11),
      scopes: ['ingest'],
      tenant: slug,
      project: null,
    });

    const posted = await call(runtime.url, '/v1/events', {
      key: ingestKey.key,
      json: { event_type: 'signup', project: 'web', user_id: 'u-1' },
    });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ accepted: 1, rejected: 0 });
    await eventually(async () => {
      const res = await call(runtime.url, '/v1/events?event_type=signup', { key: readKey.key });
      return res.status === 200 && res.body.events.length === 1 ? true : undefined;
    });

    // Listed by prefix, never with the key itself; revoked keys stop working.
    const listed = await ok({ command: 'key list', tenant: slug });
    expect(listed.data).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain(ingestKey.key);
    expect((await ok({ command: 'key revoke', id: ingestKey.id })).data).toEqual({ id: ingestKey.id, revoked: true });
    await eventually(async () =>
      (await call(runtime.url, '/v1/events', { key: ingestKey.key, json: { event_type: 'signup', project: 'web' } }))
        .status === 401
        ? true
        : undefined,
    );
    expect((await ok({ command: 'tenant list' })).data).toContainEqual(expect.objectContaining({ slug }));
    expect((await ok({ command: 'tenant set-retention', slug, days: '7' })).data).toEqual({ slug, retention_days: 7 });
  });

  it("invites a tenant's first owner (invite-only sign-up): the link works once and signs them in as owner", async () => {
    const slug = slugOf('owned');
    const tenantId: string = (await ok({ command: 'tenant create', slug })).data.id;
    created.push(tenantId);
    const email = `Owner-${env.runId.slice(-8)}@Example.com`;
    const invite = await ok({ command: 'owner invite', tenant: slug, email });
    expect(invite.data).toMatchObject({ tenant: slug, email: email.toLowerCase(), role: 'owner' });
    expect(invite.text.split('\n')[0]).toBe(invite.data.invite_url);
    const token = new URL(invite.data.invite_url).hash.replace('#token=', '');
    expect(invite.data.invite_url).toBe(`${env.config.accounts.appUrl}/accept-invite#token=${token}`);

    const accept = (password: string) =>
      call(runtime.url, '/v1/auth/accept-invite', { json: { token, password, name: 'First Owner' } });
    const joined = await accept('quiet harbor lanterns');
    expect([joined.status, joined.body.role, joined.body.tenant?.slug]).toEqual([201, 'owner', slug]);
    // The link proved the mailbox: the owner may invite and make keys at once.
    expect(joined.body.user.email_verified).toBe(true);
    expect((await accept('quiet harbor lanterns')).body.error.code).toBe('invalid_invite');
    const [entry] = await env.adapters.sql`
      select actor_kind, actor_id, after from audit_log
      where tenant_id = ${tenantId} and action = 'invite.create'`;
    expect([entry?.actor_kind, entry?.actor_id, entry?.after.role]).toEqual(['system', 'operator', 'owner']);

    // Refusals are one line the operator can act on.
    expect(await admin({ command: 'owner invite', tenant: slug, email })).toEqual({
      ok: false,
      error: `${email.toLowerCase()} is a member of ${slug} already; they sign in as usual`,
    });
    expect(await admin({ command: 'owner invite', tenant: slug, email: 'not-an-address' })).toEqual({
      ok: false,
      error: 'email must be an address such as ana@example.com',
    });
    expect((await admin({ command: 'owner invite', tenant: `${slug}-none`, email: 'a@example.com' })).ok).toBe(false);
  });

  it('refuses bad commands with one line that says how to fix them', async () => {
    const slug = slugOf('dup');
    created.push((await ok({ command: 'tenant create', slug })).data.id);
    expect(await admin({ command: 'tenant create', slug })).toEqual({
      ok: false,
      error: `tenant "${slug}" already exists`,
    });
    expect(await admin({ command: 'tenant delete', slug })).toEqual({
      ok: false,
      error: `"command" must be one of: ${ADMIN_COMMANDS.join(', ')}`,
    });
    expect(await admin(null)).toEqual({ ok: false, error: `"command" must be one of: ${ADMIN_COMMANDS.join(', ')}` });
    expect(await admin({ command: 'key create', tenant: 'nobody', scope: 'read' })).toEqual({
      ok: false,
      error: 'tenant "nobody" does not exist; create it with: customersignal tenant create nobody',
    });
    expect(await admin({ command: 'key create', tenant: slug, scope: 'write' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^--scope: scope must be one or more of ingest, read, admin/),
    });
    expect(await admin({ command: 'key revoke', id: 'nope' })).toEqual({ ok: false, error: 'no API key with id nope' });
    expect(await admin({ command: 'tenant create', slug: 'Bad Slug' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('must be 1-63 lower-case letters'),
    });
    expect(await admin({ command: 'tenant create', slug: 'x', extra: 1 })).toEqual({
      ok: false,
      error: 'tenant create: payload: unknown field(s) extra',
    });
    expect(await admin({ command: 'tenant create', slug: 'x', name: 'a\u0000b' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^tenant create: name: must be text without NUL/),
    });
  });

  it('answers every payload with ok or a refusal, never a fault, and stores accepted names exactly', async () => {
    const field = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 210 }),
      fc.string({ unit: 'grapheme', minLength: 199, maxLength: 201 }),
      fc.constantFrom('', 'default', '0', '3650', '3651', 'web'),
    );
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          command: fc.constantFrom(...ADMIN_COMMANDS, 'tenant', ''),
          slug: field,
          name: field,
          tenant: field,
          scope: field,
          id: field,
          days: field,
          retentionDays: field,
          project: field,
          schemaMode: field,
        },
        { requiredKeys: ['command'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const answer = await admin(p);
        if (answer.ok && (p as { command?: string }).command === 'tenant create') {
          const data = answer.data as { id: string; slug: string; name: string };
          created.push(data.id);
          const row = (await listTenants(env.adapters.sql)).find((t) => t.id === data.id);
          expect(row!.name).toBe((p as { name?: string }).name ?? data.slug);
        }
        if (!answer.ok) expect(answer.error).toMatch(/\S/);
      }),
      { numRuns: 150 },
    );
  });

  it('is what `customersignal --aws <stack>` runs: the CLI sends the command and prints the answer', async () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stacks: string[] = [];
    const cli = () => buildCli({ adminInvoke: async (stack) => (stacks.push(stack), (payload) => admin(payload)) });
    try {
      const slug = slugOf('remote');
      await cli().parseAsync([
        'node',
        'customersignal',
        '--aws',
        'CustomerSignal-dev',
        '--json',
        'tenant',
        'create',
        slug,
        '--retention-days',
        '14',
      ]);
      const printed = JSON.parse(String(stdout.mock.calls.at(-1)![0]));
      created.push(printed.id);
      expect(printed).toEqual({ id: expect.any(String), slug, name: slug, retention_days: 14 });
      await cli().parseAsync([
        'node',
        'customersignal',
        '--aws',
        'CustomerSignal-dev',
        'key',
        'create',
        '--tenant',
        slug,
        '--scope',
        'ingest',
      ]);
      expect(String(stdout.mock.calls.at(-1)![0])).toMatch(
        /^cs_\S+\n\(id [0-9a-f-]{36}, scopes ingest; shown once, store it now\)\n$/,
      );
      expect(stacks).toEqual(['CustomerSignal-dev', 'CustomerSignal-dev']);
      await expect(
        cli().parseAsync(['node', 'customersignal', '--aws', 'CustomerSignal-dev', 'tenant', 'create', slug]),
      ).rejects.toThrow(`tenant "${slug}" already exists`);
      await expect(
        cli().parseAsync(['node', 'customersignal', '--aws', 'CustomerSignal-dev', 'migrate']),
      ).rejects.toThrow(/^migrate is not available with --aws \(only: tenant create, /);
    } finally {
      stdout.mockRestore();
    }
  });
});
