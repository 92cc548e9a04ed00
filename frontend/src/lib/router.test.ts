import { hrefFor, parseHash } from './router';
import { fitInterval, parseDuration, parseFilterText, formatFilterText } from './duration';

describe('hash routes', () => {
  it('reads the screen and its parameters, falling back to dashboards', () => {
    const route = parseHash('#/explorer?event_type=a&event_type=b&prop.plan=pro');
    expect(route.screen).toBe('explorer');
    expect(route.params.getAll('event_type')).toEqual(['a', 'b']);
    expect(parseHash('').screen).toBe('dashboards');
    expect(parseHash('#/nope').screen).toBe('dashboards');
  });

  it('writes repeatable parameters and leaves out empty ones', () => {
    expect(hrefFor('explorer', { event_type: ['a', 'b c'], project: '', user_id: undefined })).toBe(
      '#/explorer?event_type=a&event_type=b+c',
    );
    expect(hrefFor('alerts')).toBe('#/alerts');
  });
});

describe('durations', () => {
  it('parses API durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1 h')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
  });

  it('keeps a fitting interval and coarsens one that would give too many buckets', () => {
    expect(fitInterval(3_600_000, '10s')).toBe('10s');
    expect(fitInterval(86_400_000, '1m')).toBe('1m');
    expect(fitInterval(7 * 86_400_000, '1m')).toBe('1h');
  });

  it('reads and writes "key=value, key=value" property filters', () => {
    expect(parseFilterText('plan=pro, cart.currency = EUR, junk, =x')).toEqual({ plan: 'pro', 'cart.currency': 'EUR' });
    // Any key is a key: those of Object.prototype and __proto__ too.
    const odd = parseFilterText('__proto__=a, toString=b');
    expect(Object.entries(odd)).toEqual([
      ['__proto__', 'a'],
      ['toString', 'b'],
    ]);
    expect(formatFilterText({ plan: 'pro', region: 'eu' })).toBe('plan=pro, region=eu');
  });
});
