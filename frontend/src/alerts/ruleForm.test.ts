import type { AlertRuleView } from '../api/types';
import { parseDuration } from '../lib/duration';
import {
  previewBody,
  ruleGroups,
  stateLabel,
  draftFromRule,
  draftProblem,
  EMPTY_DRAFT,
  inputFromDraft,
} from './ruleForm';

describe('alert rule form', () => {
  it('turns the form into the API body of docs/api.md', () => {
    const body = inputFromDraft({
      ...EMPTY_DRAFT,
      name: ' Checkout failures ',
      project: 'web',
      eventType: 'checkout_failed',
      filterText: 'region=eu',
      threshold: '10',
      webhooks: 'https://hooks.example.com/a\nhttps://hooks.example.com/b',
      emails: 'ops@example.com, oncall@example.com',
    });

    expect(body).toEqual({
      name: 'Checkout failures',
      project: 'web',
      event_type: 'checkout_failed',
      metric: 'count',
      filter: { region: 'eu' },
      condition: { op: '>', threshold: 10 },
      window: '5m',
      for: '0s',
      cooldown: '15m',
      enabled: true,
      channels: [
        { type: 'webhook', url: 'https://hooks.example.com/a' },
        { type: 'webhook', url: 'https://hooks.example.com/b' },
        { type: 'email', to: ['ops@example.com', 'oncall@example.com'] },
      ],
    });
  });

  it('sends numerator and denominator instead of an event type for ratio rules', () => {
    const body = inputFromDraft({
      ...EMPTY_DRAFT,
      name: 'r',
      metric: 'ratio',
      numerator: 'login_failed',
      denominator: 'login_attempt',
      eventType: 'x',
    });
    expect(body).toMatchObject({ metric: 'ratio', numerator: 'login_failed', denominator: 'login_attempt' });
    expect(body.event_type).toBeUndefined();
  });

  it('edits an existing rule without ever holding its webhook secret', () => {
    const rule = {
      id: 'r1',
      name: 'n',
      project: null,
      event_type: 'signup',
      metric: 'count',
      condition: { op: '<', threshold: 1 },
      window: '10m',
      for: '1m',
      cooldown: '0s',
      enabled: false,
      channels: [{ type: 'webhook', url: 'https://h.example.com', has_secret: true }],
      status: { state: 'ok', since: null, value: null },
      created_at: '',
      updated_at: '',
    } as AlertRuleView;

    const draft = draftFromRule(rule);

    expect(draft).toMatchObject({
      op: '<',
      threshold: '1',
      window: '10m',
      forDuration: '1m',
      enabled: false,
      webhooks: 'https://h.example.com',
      emails: '',
    });
    expect(inputFromDraft(draft).channels).toEqual([{ type: 'webhook', url: 'https://h.example.com' }]);
  });

  it('names what keeps a draft from being previewed', () => {
    expect(draftProblem(EMPTY_DRAFT)).toBe('Choose an event type.');
    expect(draftProblem({ ...EMPTY_DRAFT, eventType: 'x', threshold: 'ten' })).toBe('The threshold must be a number.');
    expect(draftProblem({ ...EMPTY_DRAFT, eventType: 'x', window: '15s' })).toMatch(/steps of 10s/);
    expect(draftProblem({ ...EMPTY_DRAFT, eventType: 'x' })).toBeNull();
  });
});

describe('the preview body', () => {
  const input = inputFromDraft({ ...EMPTY_DRAFT, eventType: 'signup', webhooks: 'https://h.example.com' });

  it('leaves out an empty name (a rule is previewed before it has one), channels and enabled', () => {
    const body = previewBody(input, 3_600_000, Date.parse('2026-11-27T11:00:00Z'));
    expect(body.rule).not.toHaveProperty('name');
    expect(body.rule).not.toHaveProperty('channels');
    expect(body.rule).not.toHaveProperty('enabled');
    expect(body.rule).toMatchObject({ event_type: 'signup', window: '5m' });
    expect(previewBody({ ...input, name: 'Signups' }, 3_600_000, 0).rule.name).toBe('Signups');
  });

  it('spans exactly the chosen range: 24 h is 86 400 000 ms', () => {
    const now = Date.parse('2026-11-27T11:00:00.123Z');
    const body = previewBody(input, parseDuration('24h')!, now);
    expect(Date.parse(body.to!) - Date.parse(body.from)).toBe(86_400_000);
    expect(body.to).toBe('2026-11-27T11:00:00.123Z');
  });
});

describe('the state pill', () => {
  it('says a rule the engine has not evaluated yet is not evaluated, not ok', () => {
    const status = { state: 'ok', since: null, value: null };
    expect(stateLabel({ enabled: true, status })).toEqual({ label: 'not evaluated yet', className: 'unevaluated' });
    expect(stateLabel({ enabled: true, status: { ...status, since: '2026-11-27T11:00:00Z' } }).label).toBe('ok');
    expect(stateLabel({ enabled: true, status: { state: 'firing', since: 'x', value: 3 } }).className).toBe('firing');
    expect(stateLabel({ enabled: false, status }).label).toBe('disabled');
  });
});

describe('group_by (per-segment alerts)', () => {
  it('is sent only when set, trimmed, and read back from a rule', () => {
    expect(inputFromDraft({ ...EMPTY_DRAFT, eventType: 'x' })).not.toHaveProperty('group_by');
    expect(inputFromDraft({ ...EMPTY_DRAFT, eventType: 'x', groupBy: ' plan ' }).group_by).toBe('plan');
    const rule = {
      id: 'r',
      name: 'n',
      metric: 'count',
      event_type: 'x',
      window: '5m',
      for: '0s',
      cooldown: '0s',
      enabled: true,
      channels: [],
      group_by: 'region',
      status: { state: 'ok', since: null, value: null },
    } as unknown as AlertRuleView;
    expect(draftFromRule(rule).groupBy).toBe('region');
  });

  it('is sent for ratio rules too (the server groups numerator and denominator by the same property)', () => {
    const draft = {
      ...EMPTY_DRAFT,
      metric: 'ratio',
      numerator: 'login_failed',
      denominator: 'login',
      groupBy: 'country',
    };
    expect(inputFromDraft(draft)).toMatchObject({
      metric: 'ratio',
      numerator: 'login_failed',
      denominator: 'login',
      group_by: 'country',
    });
    expect(inputFromDraft(draft)).not.toHaveProperty('event_type');
  });
});

describe('ruleGroups (the groups of a group_by rule, docs/api.md#per-segment-rules-group_by)', () => {
  const base = {
    id: 'r1',
    name: 'Failures per plan',
    enabled: true,
    event_type: 'checkout_failed',
    metric: 'count',
    window: '5m',
    channels: [],
    created_at: '2026-12-01T00:00:00.000Z',
    updated_at: '2026-12-01T00:00:00.000Z',
  };

  it('is null for a rule without group_by', () => {
    const rule = { ...base, status: { state: 'ok', since: null, value: null } } as unknown as AlertRuleView;
    expect(ruleGroups(rule)).toBeNull();
  });

  it('lists each group with its state in the API’s order, and the groups the cap left out', () => {
    const rule = {
      ...base,
      group_by: 'plan',
      status: { state: 'firing', since: '2026-12-01T10:00:00.000Z', value: null, groups_truncated: 3 },
      groups: [
        {
          group: { plan: 'pro' },
          key: 'pro',
          state: 'firing',
          since: '2026-12-01T10:00:00.000Z',
          value: 7,
          error: null,
          evaluated_at: '2026-12-01T10:00:01.000Z',
        },
        {
          group: { plan: 'free' },
          key: 'free',
          state: 'ok',
          since: '2026-12-01T09:00:00.000Z',
          value: 0,
          error: null,
          evaluated_at: '2026-12-01T10:00:01.000Z',
        },
      ],
    } as unknown as AlertRuleView;
    expect(ruleGroups(rule)).toEqual({
      rows: [
        { key: 'pro', label: 'plan = pro', state: 'firing', since: '2026-12-01T10:00:00.000Z', value: 7, error: null },
        { key: 'free', label: 'plan = free', state: 'ok', since: '2026-12-01T09:00:00.000Z', value: 0, error: null },
      ],
      truncated: 3,
    });
  });

  it('has no rows before the engine has seen a group', () => {
    const rule = {
      ...base,
      group_by: 'plan',
      status: { state: 'ok', since: null, value: null, groups_truncated: 0 },
      groups: [],
    } as unknown as AlertRuleView;
    expect(ruleGroups(rule)).toEqual({ rows: [], truncated: 0 });
  });
});
