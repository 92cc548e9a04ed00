import type { AlertRuleView } from '../api/types';
import { draftFromRule, draftProblem, EMPTY_DRAFT, inputFromDraft } from './ruleForm';

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
