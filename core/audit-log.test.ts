import fc from 'fast-check';
import { actionFilterProblem, changeEntry, decodeAuditCursor, encodeAuditCursor, parseActorFilter } from './audit-log';
import { AppError } from './errors';

describe('the audit cursor', () => {
  it('round-trips every entry id Postgres can hold', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), (n) => {
        expect(decodeAuditCursor(encodeAuditCursor(String(n)))).toBe(String(n));
      }),
    );
  });

  it('refuses anything else with a 400 invalid_cursor, never another error', () => {
    const forged = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
      fc.oneof(fc.bigInt({ max: 0n }), fc.bigInt({ min: 2n ** 63n })).map((n) => encodeAuditCursor(String(n))),
      fc.constantFrom(
        encodeAuditCursor('01'),
        encodeAuditCursor('1.0'),
        encodeAuditCursor(' 1'),
        encodeAuditCursor(''),
      ),
    );
    fc.assert(
      fc.property(forged, (raw) => {
        let id: string | undefined;
        try {
          id = decodeAuditCursor(raw);
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          expect((e as AppError).code).toBe('invalid_cursor');
          return;
        }
        // What decodes is a well-formed id (a forged array can hold one).
        expect(id).toMatch(/^[1-9]\d{0,18}$/);
      }),
    );
  });
});

describe('the filters', () => {
  it('takes dotted lowercase actions and prefixes', () => {
    for (const ok of ['dashboard.update', 'dashboard.', 'api_key.revoke', 'person', 'user.password_reset_request'])
      expect(actionFilterProblem(ok)).toBeUndefined();
    for (const bad of ['', '.', 'Dashboard', 'dashboard..update', 'dash board', '*', 'a'.repeat(101), 'x.%'])
      expect(actionFilterProblem(bad)).toMatch(/action is an action name/);
  });

  it('reads actors as kind:id', () => {
    expect(parseActorFilter('user:0193ABCD-0000-7000-8000-000000000000')).toEqual({
      kind: 'user',
      id: '0193abcd-0000-7000-8000-000000000000',
    });
    expect(parseActorFilter('system:erasure')).toEqual({ kind: 'system', id: 'erasure' });
    for (const bad of ['user', 'user:', ':x', 'robot:1', 'user:a b', `user:${'a'.repeat(201)}`, 'user:\u0000'])
      expect(parseActorFilter(bad)).toEqual({ problem: expect.stringMatching(/actor is user:<user id>/) });
  });
});

describe('changeEntry', () => {
  const principal = { tenantId: 't1', keyId: 'k1', scopes: ['admin' as const], projectId: null, projectSlug: null };
  const view = (o: { name: string; secret: string }) => ({ name: o.name });
  const entry = (before: { name: string; secret: string } | null, after: { name: string; secret: string } | null) =>
    changeEntry(principal, 5, 'dashboard.update', 'd1', view, before, after);

  it('records what the view keeps, before and after, with the principal as actor', () => {
    expect(entry({ name: 'a', secret: 's' }, { name: 'b', secret: 's' })).toEqual({
      tenantId: 't1',
      atMs: 5,
      actor: { kind: 'api_key', id: 'k1' },
      action: 'dashboard.update',
      target: 'd1',
      before: { name: 'a' },
      after: { name: 'b' },
    });
    expect(entry(null, { name: 'b', secret: 's' })?.before).toBeNull();
    expect(entry({ name: 'a', secret: 's' }, null)?.after).toBeNull();
  });

  it('records nothing when the view did not change or there is no object at all', () => {
    expect(entry({ name: 'a', secret: 's1' }, { name: 'a', secret: 's2' })).toBeUndefined();
    expect(entry(null, null)).toBeUndefined();
  });
});
