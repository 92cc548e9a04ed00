import { createApiClient, isApiError } from './client';
import {
  analyticsApi,
  parseFunnelAnswer,
  parsePerson,
  parsePersonEvents,
  parsePersonSearch,
  parseRetention,
} from './analytics';
import { ShapeError } from './shape';
import { rangeFromParams, rangeToParams, resolveQueryRange } from '../lib/queryRange';

const step = { step: 1, event_type: 'signup', count: 3, drop_off: 0 };

describe('analytics response checks', () => {
  it('accepts a funnel answer and refuses one without steps', () => {
    const answer = parseFunnelAnswer({
      from: 'a',
      to: 'b',
      steps: [step],
      breakdown_values: [{ value: 'x', steps: [step] }],
    });
    expect(answer.breakdown_values?.[0]?.steps[0]?.count).toBe(3);
    expect(() => parseFunnelAnswer({ from: 'a', to: 'b' })).toThrow(ShapeError);
    expect(() => parseFunnelAnswer({ from: 'a', to: 'b', steps: [{ ...step, count: '3' }] })).toThrow(ShapeError);
  });

  it('accepts a retention answer and refuses a cohort with a non-number', () => {
    expect(
      parseRetention({ timezone: 'UTC', cohorts: [{ start: 's', size: 2, returned: [2, 1] }] }).cohorts,
    ).toHaveLength(1);
    expect(() => parseRetention({ timezone: 'UTC', cohorts: [{ start: 's', size: 2, returned: ['2'] }] })).toThrow(
      ShapeError,
    );
  });

  it('reads a person, traits defaulting to none', () => {
    expect(parsePerson({ person_id: 'u', ids: [{ id: 'u', identified: true }], event_count: 1 }).traits).toEqual({});
    expect(() => parsePerson({ person_id: 'u' })).toThrow(ShapeError);
  });

  it('gives timeline events the page’s project, and reads search results with their ids', () => {
    const page = parsePersonEvents({
      project: 'web',
      person_id: 'u',
      events: [{ event_id: 'e', event_type: 't', timestamp: 'x', received_at: 'y', user_id: 'u' }],
      next_cursor: null,
    });
    expect(page.events[0]!.project).toBe('web');
    expect(
      parsePersonSearch({ project: 'web', users: [{ person_id: 'u', ids: ['u', 'a'] }], next_cursor: 'c' }).users[0]!
        .ids,
    ).toEqual(['u', 'a']);
    expect(() => parsePersonSearch({ project: 'web', users: [{ person_id: 'u', ids: [{ id: 'u' }] }] })).toThrow(
      ShapeError,
    );
  });

  it('posts the funnel body and turns a 400 into the API’s own message', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const client = createApiClient({
      baseUrl: '',
      apiKey: 'k',
      fetchImpl: async (url, init) => {
        calls.push({ url: String(url), init: init! });
        return new Response(
          JSON.stringify({ error: { code: 'invalid_body', message: 'a funnel has 2 to 20 steps' } }),
          {
            status: 400,
          },
        );
      },
    });
    const error = await analyticsApi.funnel(client, { steps: [], from: 'a', to: 'b' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isApiError(error) && error.message).toBe('a funnel has 2 to 20 steps');
    expect(calls[0]!.url).toBe('/v1/funnels/query');
    expect(calls[0]!.init.method).toBe('POST');
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ steps: [], from: 'a', to: 'b' });
  });

  it('percent-encodes a person id in the path', async () => {
    const urls: string[] = [];
    const client = createApiClient({
      baseUrl: '',
      apiKey: 'k',
      fetchImpl: async (url) => {
        urls.push(String(url));
        return new Response(JSON.stringify({ id: 'j', status: 'pending' }), { status: 202 });
      },
    });
    await analyticsApi.erasePerson(client, 'a/b c', 'web');
    expect(urls).toEqual(['/v1/users/a%2Fb%20c?project=web']);
  });
});

describe('query ranges', () => {
  it('keeps a relative range or absolute bounds, and falls back when neither is readable', () => {
    expect(rangeFromParams(new URLSearchParams('range=30d'), '7d')).toEqual({ range: '30d', from: '', to: '' });
    expect(rangeFromParams(new URLSearchParams('range=bogus'), '7d')).toEqual({ range: '7d', from: '', to: '' });
    const abs = { range: '', from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' };
    expect(rangeFromParams(new URLSearchParams(rangeToParams(abs) as Record<string, string>), '7d')).toEqual(abs);
    expect(rangeFromParams(new URLSearchParams('from=x&to=y'), '7d').range).toBe('7d');
    expect(resolveQueryRange({ range: '24h', from: '', to: '' }, Date.parse('2026-12-05T00:00:00Z'))).toEqual({
      from: '2026-12-04T00:00:00.000Z',
      to: '2026-12-05T00:00:00.000Z',
    });
  });
});
