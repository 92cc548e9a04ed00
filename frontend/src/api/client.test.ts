import { ApiError, buildUrl, createApiClient, readErrorEnvelope } from './client';
import { parseEventsPage } from './events';
import { parseMetricSeries } from './metrics';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function clientAnswering(response: Response | Error) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    calls.push({ url: String(input), init });
    if (response instanceof Error) throw response;
    return response;
  };
  return { client: createApiClient({ baseUrl: '', apiKey: 'cs_read_123', fetchImpl }), calls };
}

const eventsBody = {
  events: [
    {
      event_id: '01J0000000000000000000000A',
      event_type: 'signup',
      project: 'web',
      timestamp: '2026-11-27T10:00:00Z',
      received_at: '2026-11-27T10:00:01Z',
      user_id: 'u1',
      session_id: null,
      properties: { plan: 'pro' },
    },
  ],
  next_cursor: 'abc',
};

describe('buildUrl', () => {
  it('skips empty values and repeats array values', () => {
    expect(buildUrl('', '/v1/events', { limit: 50, cursor: undefined, event_type: ['a', 'b c'] })).toBe(
      '/v1/events?limit=50&event_type=a&event_type=b+c',
    );
  });

  it('prefixes a configured base URL', () => {
    expect(buildUrl('https://api.example.com', '/v1/metrics')).toBe('https://api.example.com/v1/metrics');
  });
});

describe('createApiClient', () => {
  it('sends the key as a bearer token and returns the parsed body', async () => {
    const { client, calls } = clientAnswering(jsonResponse(200, eventsBody));

    const page = await client.get('/v1/events', { query: { limit: 1 }, parse: parseEventsPage });

    expect(calls[0]?.url).toBe('/v1/events?limit=1');
    expect(new Headers(calls[0]?.init?.headers).get('Authorization')).toBe('Bearer cs_read_123');
    expect(page.next_cursor).toBe('abc');
    expect(page.events[0]?.session_id).toBeNull();
  });

  it('with a session: the cookie on the same origin, X-CSRF-Token on writes only, never a bearer token', async () => {
    const calls: RequestInit[] = [];
    const fetchImpl: typeof fetch = async (_input, init) => {
      calls.push(init ?? {});
      return jsonResponse(200, { ok: true });
    };
    const client = createApiClient({ baseUrl: '', csrfToken: 'csrf-1', fetchImpl });
    await client.get('/v1/me', { parse: (b) => b });
    await client.send('POST', '/v1/auth/logout', { parse: (b) => b });
    const [read, write] = calls.map((init) => ({ init, headers: new Headers(init.headers) }));
    expect(read!.init.credentials).toBe('same-origin');
    expect(read!.headers.get('X-CSRF-Token')).toBeNull();
    expect(write!.headers.get('X-CSRF-Token')).toBe('csrf-1');
    expect(write!.headers.get('Authorization')).toBeNull();
    // A key never travels with cookies.
    const keyed = clientAnswering(jsonResponse(200, { ok: true }));
    await keyed.client.send('POST', '/v1/x', { parse: (b) => b });
    expect(keyed.calls[0]?.init?.credentials).toBe('omit');
    expect(new Headers(keyed.calls[0]?.init?.headers).get('X-CSRF-Token')).toBeNull();
  });

  it('turns the error envelope into an ApiError with status, code, message and request id', async () => {
    const { client } = clientAnswering(
      jsonResponse(403, { error: { code: 'forbidden', message: 'key lacks read scope' }, request_id: 'req-1' }),
    );

    const error = await client.get('/v1/events', { parse: parseEventsPage }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'key lacks read scope',
      requestId: 'req-1',
    });
  });

  it('names the HTTP status when the error body is not the envelope', async () => {
    const { client } = clientAnswering(
      new Response('Bad Gateway', { status: 502, headers: { 'X-Request-Id': 'req-2' } }),
    );

    await expect(client.get('/v1/events', { parse: parseEventsPage })).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      requestId: 'req-2',
    });
  });

  it('reports an unreachable API as network_error with status 0', async () => {
    const { client } = clientAnswering(new TypeError('fetch failed'));

    await expect(client.get('/v1/events', { parse: parseEventsPage })).rejects.toMatchObject({
      status: 0,
      code: 'network_error',
    });
  });

  it('reports a body of the wrong shape as invalid_response', async () => {
    const { client } = clientAnswering(jsonResponse(200, { points: 'nope' }));

    await expect(client.get('/v1/metrics', { parse: parseMetricSeries })).rejects.toMatchObject({
      code: 'invalid_response',
    });
  });
});

describe('send', () => {
  it('writes JSON with the bearer key and reads the answer', async () => {
    const { client, calls } = clientAnswering(
      jsonResponse(201, { id: 'd1', name: 'Ops', is_default: false, widgets: [], created_at: '', updated_at: '' }),
    );

    const created = await client.send('POST', '/v1/dashboards', {
      body: { name: 'Ops', widgets: [] },
      parse: (b) => b as { id: string },
    });

    expect(created.id).toBe('d1');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.body).toBe('{"name":"Ops","widgets":[]}');
    const headers = new Headers(calls[0]?.init?.headers);
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(headers.get('Authorization')).toBe('Bearer cs_read_123');
  });

  it('sends no body and no content type for a DELETE, and turns a 403 into an ApiError', async () => {
    const { client, calls } = clientAnswering(
      jsonResponse(403, { error: { code: 'forbidden', message: 'needs admin' }, request_id: 'r' }),
    );

    await expect(client.send('DELETE', '/v1/api-keys/x', { parse: (b) => b })).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect(calls[0]?.init?.body).toBeUndefined();
    expect(new Headers(calls[0]?.init?.headers).has('Content-Type')).toBe(false);
  });
});

describe('readErrorEnvelope', () => {
  it('returns null for bodies that are not the envelope', () => {
    expect(readErrorEnvelope({ message: 'x' })).toBeNull();
    expect(readErrorEnvelope(null)).toBeNull();
  });
});

describe('getText', () => {
  it('returns the text with its file name and next cursor, and errors as ApiErrors', async () => {
    const { client, calls } = clientAnswering(
      new Response('t,value\n2026-11-27T10:00:00.000Z,3\n', {
        status: 200,
        headers: {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': 'attachment; filename="signup-count.csv"',
          'X-Next-Cursor': 'abc',
        },
      }),
    );
    const answer = await client.getText('/v1/metrics', { query: { event_type: 'signup', format: 'csv' } });
    expect(answer).toEqual({
      text: 't,value\n2026-11-27T10:00:00.000Z,3\n',
      contentType: 'text/csv; charset=utf-8',
      filename: 'signup-count.csv',
      nextCursor: 'abc',
    });
    expect(calls[0]!.url).toBe('/v1/metrics?event_type=signup&format=csv');
    expect((calls[0]!.init!.headers as Record<string, string>).Authorization).toBe('Bearer cs_read_123');

    const failing = clientAnswering(
      jsonResponse(400, { error: { code: 'invalid_parameter', message: 'format must be csv' }, request_id: 'r1' }),
    );
    await expect(failing.client.getText('/v1/metrics', {})).rejects.toMatchObject({
      status: 400,
      code: 'invalid_parameter',
    });
  });

  it('reads breakdown answers, the previous range and the timezone', () => {
    const answer = parseMetricSeries({
      event_type: 'signup',
      metric: 'count',
      interval: '1m',
      data_as_of: null,
      timezone: 'Europe/Berlin',
      breakdown: 'plan',
      source: 'rollup',
      series: [
        { value: 'pro', total: 3, points: [{ t: '2026-11-27T10:00:00.000Z', value: 3 }] },
        {
          value: '$other',
          total: 1,
          points: [{ t: '2026-11-27T10:00:00.000Z', value: 1 }],
          previous: { from: 'a', to: 'b', points: [{ t: '2026-11-27T09:59:00.000Z', value: 0 }] },
        },
      ],
    });
    expect(answer).toMatchObject({ timezone: 'Europe/Berlin', breakdown: 'plan', source: 'rollup', points: [] });
    expect(answer.series!.map((s) => [s.value, s.total, s.previous?.points.length ?? null])).toEqual([
      ['pro', 3, null],
      ['$other', 1, 1],
    ]);
    expect(() =>
      parseMetricSeries({ event_type: 'x', metric: 'count', interval: '1m', points: [], series: [{}] }),
    ).toThrow();
  });
});
