import type { MetricInterval, MetricSeries, Widget } from '../api/types';
import { intervalOptionsFor, intervalRefusal } from '../lib/duration';
import {
  funnelWidgetBody,
  retentionWidgetBody,
  cleanWidget,
  explorerHrefForBucket,
  explorerHrefForSeries,
  moveWidget,
  numberValue,
  resolveWidgetQuery,
  absoluteFromParams,
  formatSeriesText,
  parseSeriesText,
  widgetProblem,
} from './widgetQuery';

const series = (metric: string, values: (number | null)[], interval: MetricInterval = '1m'): MetricSeries => ({
  event_type: 'signup',
  metric,
  interval,
  data_as_of: null,
  points: values.map((value, i) => ({ t: new Date(Date.UTC(2026, 10, 27, 10, i)).toISOString(), value })),
});

describe('resolveWidgetQuery', () => {
  it('applies the defaults of the contract: count, 1m, last 1h', () => {
    expect(resolveWidgetQuery({ event_type: 'signup' }, { range: null, interval: null })).toEqual({
      eventType: 'signup',
      metric: 'count',
      interval: '1m',
      range: '1h',
      project: undefined,
      filter: {},
    });
  });

  it('lets the dashboard override range and interval, and coarsens an interval that would ask for too many buckets', () => {
    const widget = {
      event_type: 'signup',
      interval: '1m' as const,
      range: '1h',
      project: 'web',
      filter: { plan: 'pro' },
    };

    expect(resolveWidgetQuery(widget, { range: '6h', interval: '5m' })).toMatchObject({
      range: '6h',
      interval: '5m',
      project: 'web',
      filter: { plan: 'pro' },
    });
    // 30 days of minutes is 43 200 buckets: the next interval that fits is 1h (720).
    expect(resolveWidgetQuery(widget, { range: '30d', interval: null }).interval).toBe('1h');
    // 10s data is kept 24 h only.
    expect(resolveWidgetQuery({ ...widget, interval: '10s' }, { range: '2d', interval: null }).interval).toBe('5m');
  });
});

describe('numberValue', () => {
  it('sums count and sum buckets exactly', () => {
    expect(numberValue(series('count', [1, 2, 3]), 'count')).toEqual({ value: 6, note: null });
    expect(numberValue(series('sum:amount', [1.5, 2]), 'sum:amount')).toEqual({ value: 3.5, note: null });
  });

  it('says so when unique users or averages cannot be added up', () => {
    expect(numberValue(series('unique_users', [2, 3]), 'unique_users')).toEqual({
      value: 5,
      note: expect.stringContaining('sum of per-1m unique users'),
    });
    expect(numberValue(series('avg:amount', [2, null, 4]), 'avg:amount')).toEqual({
      value: 3,
      note: 'mean of per-1m averages',
    });
    expect(numberValue(series('avg:amount', [null]), 'avg:amount').value).toBeNull();
  });

  it('does not add up percentiles either', () => {
    expect(numberValue(series('p95:latency', [100, null, 300]), 'p95:latency')).toEqual({
      value: 200,
      note: 'mean of per-1m p95 values',
    });
    expect(numberValue(series('p99:latency', [null]), 'p99:latency').value).toBeNull();
  });
});

describe('explorerHrefForBucket', () => {
  it('links to the explorer filtered to the bucket, its event type, project and properties', () => {
    const query = resolveWidgetQuery(
      { event_type: 'Order Completed', project: 'web', filter: { 'cart.currency': 'EUR' } },
      { range: null, interval: null },
    );

    const href = explorerHrefForBucket(query, '2026-11-27T10:05:00.000Z', '5m');

    const params = new URLSearchParams(href.split('?')[1]);
    expect(href.startsWith('#/explorer?')).toBe(true);
    expect(Object.fromEntries(params)).toEqual({
      event_type: 'Order Completed',
      project: 'web',
      from: '2026-11-27T10:05:00.000Z',
      to: '2026-11-27T10:10:00.000Z',
      'prop.cart.currency': 'EUR',
    });
  });
});

describe('explorerHrefForSeries', () => {
  it('links to the explorer filtered to the whole buckets the series counts', () => {
    const query = resolveWidgetQuery(
      { event_type: 'signup', filter: { plan: 'pro' } },
      { range: null, interval: null },
    );

    const href = explorerHrefForSeries(query, series('count', [1, 0, 2]));

    expect(Object.fromEntries(new URLSearchParams(href.split('?')[1]))).toEqual({
      event_type: 'signup',
      from: '2026-11-27T10:00:00.000Z',
      to: '2026-11-27T10:03:00.000Z',
      'prop.plan': 'pro',
    });
  });
});

describe('editing widgets', () => {
  const widgets: Widget[] = ['a', 'b', 'c'].map((title) => ({ type: 'number', title, query: { event_type: title } }));

  it('moves a widget up or down and ignores moves past the ends', () => {
    expect(moveWidget(widgets, 2, -1).map((w) => w.title)).toEqual(['a', 'c', 'b']);
    expect(moveWidget(widgets, 0, 1).map((w) => w.title)).toEqual(['b', 'a', 'c']);
    expect(moveWidget(widgets, 0, -1).map((w) => w.title)).toEqual(['a', 'b', 'c']);
    expect(widgets.map((w) => w.title)).toEqual(['a', 'b', 'c']);
  });

  it('cleans a widget into a body the API accepts: a title, no empty fields, no metric on events widgets', () => {
    expect(
      cleanWidget({
        type: 'events',
        title: ' ',
        query: { event_type: '', metric: 'count', interval: '1m', range: '1h', filter: { '': 'x' } },
      }),
    ).toEqual({
      type: 'events',
      title: 'Latest events',
      query: { range: '1h' },
    });
    expect(
      cleanWidget({
        id: 'w1',
        type: 'timeseries',
        title: 'T',
        query: { event_type: 'signup', metric: 'unique_users', filter: { plan: 'pro' } },
        layout: { w: 6, h: 3 },
      }),
    ).toEqual({
      id: 'w1',
      type: 'timeseries',
      title: 'T',
      query: { event_type: 'signup', metric: 'unique_users', filter: { plan: 'pro' } },
      layout: { w: 6, h: 3 },
    });
  });

  it('names what keeps a widget from being saved', () => {
    expect(widgetProblem({ type: 'timeseries', title: '', query: {} })).toBe('Choose an event type.');
    expect(widgetProblem({ type: 'events', title: '', query: {} })).toBeNull();
    expect(widgetProblem({ type: 'number', title: '', query: { event_type: 'x', metric: 'median' } })).toMatch(
      /^Metric must be/,
    );
    expect(widgetProblem({ type: 'number', title: '', query: { event_type: 'x', range: 'forever' } })).toMatch(
      /^Range must be/,
    );
  });
});

describe('an interval that does not fit the range', () => {
  it('is replaced by a coarser one, and the query says which was refused and why', () => {
    const query = resolveWidgetQuery({ event_type: 'x', interval: '1m' }, { range: '7d', interval: '10s' });
    expect(query.interval).toBe('1h');
    expect(query.intervalNote).toBe('per 10 s refused (10 s data is kept 24 h, shorter than 7 d)');
    const fine = resolveWidgetQuery({ event_type: 'x', interval: '1m' }, { range: '7d', interval: null });
    expect(fine.interval).toBe('1h');
    expect(fine.intervalNote).toBe('per 1 min refused (10,080 buckets over 7 d; at most 1,500)');
    expect(resolveWidgetQuery({ event_type: 'x' }, { range: '1h', interval: '10s' }).intervalNote).toBeUndefined();
  });

  it('is offered disabled, with the reason, when a range override is set', () => {
    expect(intervalOptionsFor(null).every((o) => o.refusal === null)).toBe(true);
    const options = intervalOptionsFor('7d');
    expect(options.filter((o) => o.refusal !== null).map((o) => o.value)).toEqual(['10s', '1m', '5m']);
    expect(options.find((o) => o.value === '5m')!.label).toBe(
      '5 min (too fine: 2,016 buckets over 7 d; at most 1,500)',
    );
    expect(intervalRefusal(3_600_000, '10s')).toBeNull();
  });
});

describe('absolute ranges and comparison', () => {
  it('read from/to from the route, refusing nonsense', () => {
    expect(absoluteFromParams(new URLSearchParams('from=2026-11-27T10:00:00Z&to=2026-11-27T12:00:00Z'))).toEqual({
      from: '2026-11-27T10:00:00.000Z',
      to: '2026-11-27T12:00:00.000Z',
    });
    expect(absoluteFromParams(new URLSearchParams('from=2026-11-27T12:00:00Z&to=2026-11-27T10:00:00Z'))).toBeNull();
    expect(absoluteFromParams(new URLSearchParams('from=soon'))).toBeNull();
  });

  it('replace the relative range, pick the interval for their length, and add compare', () => {
    const query = resolveWidgetQuery(
      { event_type: 'x', interval: '10s' },
      {
        range: null,
        interval: null,
        absolute: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
        compare: true,
      },
    );
    expect(query).toMatchObject({
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-27T00:00:00.000Z',
      interval: '1h',
      compare: true,
    });
  });
});

describe('more series in the editor', () => {
  it('round-trip between text lines and the widget query', () => {
    const series = parseSeriesText(
      'login\n checkout | p95:latency | checkout p95 \n\n | count\nOrder Completed | sum:amount',
    );
    expect(series).toEqual([
      { event_type: 'login' },
      { event_type: 'checkout', metric: 'p95:latency', label: 'checkout p95' },
      { event_type: 'Order Completed', metric: 'sum:amount' },
    ]);
    expect(parseSeriesText(formatSeriesText(series))).toEqual(series);
    expect(formatSeriesText([{ event_type: 'a', label: 'A' }])).toBe('a | count | A');
  });

  it('keep chart fields through cleaning, and only on timeseries widgets', () => {
    const widget: Widget = {
      type: 'timeseries',
      title: 'T',
      chart: 'bar',
      unit: ' ms ',
      query: {
        event_type: 'a',
        series: [{ event_type: 'b' }],
        breakdown: { path: ' plan ', limit: 5 },
        compare: 'previous',
      },
      layout: { x: 6, y: 2, w: 6, h: 3 },
    };
    expect(cleanWidget(widget)).toEqual({
      type: 'timeseries',
      title: 'T',
      chart: 'bar',
      unit: 'ms',
      query: {
        event_type: 'a',
        series: [{ event_type: 'b' }],
        breakdown: { path: 'plan', limit: 5 },
        compare: 'previous',
      },
      layout: { x: 6, y: 2, w: 6, h: 3 },
    });
    // Number and table widgets keep the breakdown (their top values, their columns), not the chart's fields.
    for (const type of ['number', 'table'] as const)
      expect(cleanWidget({ ...widget, type })).toEqual({
        type,
        title: 'T',
        unit: 'ms',
        query: { event_type: 'a', breakdown: { path: 'plan', limit: 5 } },
        layout: { x: 6, y: 2, w: 6, h: 3 },
      });
    expect(cleanWidget({ ...widget, type: 'events' }).query).toEqual({ event_type: 'a' });
    expect(
      widgetProblem({ ...widget, query: { event_type: 'a', series: [{ event_type: 'b', metric: 'median' }] } }),
    ).toMatch(/^Series b: metric/);
  });

  it('refuse a breakdown limit outside 1–20 with a message saying what to enter, and never send one', () => {
    const widget = (limit: number | undefined): Widget => ({
      type: 'table',
      title: 'T',
      query: { event_type: 'a', breakdown: { path: 'plan', ...(limit === undefined ? {} : { limit }) } },
    });
    for (const limit of [1, 10, 20, undefined]) {
      expect(widgetProblem(widget(limit))).toBeNull();
      expect(cleanWidget(widget(limit)).query.breakdown).toEqual(
        limit === undefined ? { path: 'plan' } : { path: 'plan', limit },
      );
    }
    for (const limit of [0, 21, 100, 2.5, -1, Number.NaN]) {
      expect(widgetProblem(widget(limit))).toBe(
        'Top values must be a whole number from 1 to 20 (leave it empty for 10); the other values are summed in “other values”.',
      );
      // The preview meanwhile asks for the default.
      expect(cleanWidget(widget(limit)).query.breakdown).toEqual({ path: 'plan' });
    }
  });
});

describe('saved insights', () => {
  const funnelWidget: Widget = {
    type: 'funnel',
    title: '',
    query: { range: '7d', funnel: { steps: [{ event_type: 'signup' }, { event_type: 'checkout' }], window: '1d' } },
  };
  const NOW = Date.parse('2026-11-10T12:00:00Z');

  it('asks for the saved funnel over the widget range, the dashboard range, or its absolute range', () => {
    expect(funnelWidgetBody(funnelWidget, { range: null, interval: null }, NOW)).toEqual({
      steps: [{ event_type: 'signup' }, { event_type: 'checkout' }],
      window: '1d',
      from: '2026-11-03T12:00:00.000Z',
      to: '2026-11-10T12:00:00.000Z',
    });
    expect(funnelWidgetBody(funnelWidget, { range: '24h', interval: null }, NOW)).toMatchObject({
      from: '2026-11-09T12:00:00.000Z',
    });
    const absolute = { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' };
    expect(funnelWidgetBody(funnelWidget, { range: '24h', interval: null, absolute }, NOW)).toMatchObject(absolute);
  });

  it('keeps the definition when cleaned, names it, and has no retention body', () => {
    const cleaned = cleanWidget({ ...funnelWidget, query: { ...funnelWidget.query, event_type: 'x' } });
    expect(cleaned).toEqual({ ...funnelWidget, title: 'Funnel: signup → checkout' });
    expect(widgetProblem(cleaned)).toBeNull();
    expect(widgetProblem({ type: 'retention', title: 'r', query: { range: '7d' } })).toMatch(/holds no retention/);
    expect(retentionWidgetBody(funnelWidget, { range: null, interval: null }, NOW)).toBeNull();
  });
});
