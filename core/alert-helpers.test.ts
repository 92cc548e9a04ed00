import { anomalyScore } from './anomaly';
import { signatureHeader, verifySignature, refusedAddress, webhookUrlProblem } from './webhook';
import { retryDelayMs } from './backoff';
import { compare, ruleFromSpec, ticksWhenOk, watchedEventTypes, windowRange } from './alert-rule';
import { emailMessage, notificationPayload } from './alert-message';

describe('anomaly score', () => {
  it('scores the distance from the baseline in units of max(stddev, sqrt(mean), 1), by direction', () => {
    expect(anomalyScore(20, [10, 10, 10, 10], { direction: 'both' }).score).toBeCloseTo(10 / Math.sqrt(10));
    expect(anomalyScore(0, [10, 12, 8, 10], { direction: 'above' }).score).toBeLessThan(0);
    expect(anomalyScore(0, [10, 12, 8, 10], { direction: 'below' }).score).toBeGreaterThan(3);
    expect(anomalyScore(3, [1, 0, 1, 0], { direction: 'both' }).score).toBeCloseTo(2.5); // floor of 1 on a sparse history
    expect(anomalyScore(3, [0, 0, 0, 1], { direction: 'both' }).score).toBeNull(); // too little history: no_data
    expect(anomalyScore(5, [1], { direction: 'both' }).score).toBeNull(); // too little history
    expect(anomalyScore(null, [1, 2, 3], { direction: 'both' }).score).toBeNull();
  });
});

describe('webhook signatures and targets', () => {
  it('signs t.body with HMAC-SHA256 and verifies in constant time within the tolerance', () => {
    const h = signatureHeader('whsec_test_secret_123', '{"a":1}', 1_700_000_000_000);
    expect(h).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_test_secret_123', '{"a":1}', h, 1_700_000_100_000)).toBe(true);
    expect(verifySignature('whsec_test_secret_123', '{"a":2}', h, 1_700_000_100_000)).toBe(false);
    expect(verifySignature('another_secret_12345', '{"a":1}', h, 1_700_000_100_000)).toBe(false);
    expect(verifySignature('whsec_test_secret_123', '{"a":1}', h, 1_700_001_000_000)).toBe(false); // too old
  });

  it('refuses private, link-local and metadata addresses, and loopback unless allowed; allow-listed hosts pass', () => {
    const local = { allowLoopback: true, allowedHosts: [] };
    const deployed = { allowLoopback: false, allowedHosts: ['hooks.internal'] };
    expect(refusedAddress('127.0.0.1', 'localhost', local)).toBeNull();
    expect(refusedAddress('127.0.0.1', 'localhost', deployed)).toMatch(/loopback/);
    expect(refusedAddress('::1', 'localhost', deployed)).toMatch(/loopback/);
    for (const a of [
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
    ]) {
      expect(refusedAddress(a, 'x', local)).toMatch(/private, link-local or metadata/);
    }
    expect(refusedAddress('10.1.2.3', 'hooks.internal', deployed)).toBeNull();
    expect(refusedAddress('93.184.216.34', 'example.com', deployed)).toBeNull();
    expect(webhookUrlProblem('ftp://x')).toMatch(/https/);
    expect(webhookUrlProblem('https://user:pw@x.com/')).toMatch(/credentials/);
    expect(webhookUrlProblem('nonsense')).toMatch(/absolute/);
    expect(webhookUrlProblem('https://hooks.example.com/a')).toBeNull();
  });

  it('backs off exponentially with jitter, capped at an hour', () => {
    expect(retryDelayMs(1, 0.5)).toBe(2_000);
    expect(retryDelayMs(3, 0.5)).toBe(8_000);
    expect(retryDelayMs(3, 0)).toBe(4_000);
    expect(retryDelayMs(3, 0.999)).toBeLessThan(12_000);
    expect(retryDelayMs(30, 0.5)).toBe(3_600_000);
  });
});

describe('alert rules', () => {
  const spec = {
    name: 'Checkout failures',
    project: 'web',
    event_type: 'checkout_failed',
    metric: 'count',
    condition: { op: '>' as const, threshold: 10 },
    window: '5m',
    for: '0s',
    cooldown: '15m',
    enabled: true,
    channels: [],
  };
  const rule = ruleFromSpec({ tenantId: 't', id: 'r', projectId: 'p' }, spec);

  it('reads the stored spec into durations and the watched event types', () => {
    expect(rule).toMatchObject({
      windowMs: 300_000,
      forMs: 0,
      cooldownMs: 900_000,
      op: '>',
      threshold: 10,
      projectSlug: 'web',
    });
    expect(watchedEventTypes(rule)).toEqual(['checkout_failed']);
    const ratio = ruleFromSpec(
      { tenantId: 't', id: 'r', projectId: null },
      { ...spec, metric: 'ratio', event_type: undefined, numerator: 'login_failed', denominator: 'login_attempt' },
    );
    expect(watchedEventTypes(ratio)).toEqual(['login_attempt', 'login_failed']);
    expect(ratio.eventType).toBe('login_failed');
    const anomaly = ruleFromSpec(
      { tenantId: 't', id: 'r', projectId: null },
      {
        ...spec,
        metric: 'anomaly',
        condition: undefined,
        anomaly: { of: 'count', sensitivity: 4, direction: 'above', baseline_windows: 12 },
      },
    );
    expect(anomaly).toMatchObject({ op: '>', threshold: 4, anomaly: { baselineWindows: 12 } });
  });

  it('ticks absence-like, ratio, avg and anomaly rules while ok; compares with every operator', () => {
    expect(ticksWhenOk(rule)).toBe(false);
    expect(ticksWhenOk({ ...rule, op: '<', threshold: 1 })).toBe(true);
    expect(ticksWhenOk({ ...rule, metric: 'ratio' })).toBe(true);
    expect([
      compare(2, '>', 1),
      compare(1, '>=', 1),
      compare(0, '<', 1),
      compare(1, '<=', 1),
      compare(1, '==', 1),
      compare(2, '==', 1),
    ]).toEqual([true, true, true, true, true, false]);
  });

  it('windows end with the current 10s bucket', () => {
    expect(windowRange(1_000_005_000, 300_000)).toEqual({ fromMs: 1_000_010_000 - 300_000, toMs: 1_000_010_000 });
  });

  it('says what happened in the webhook payload and a readable e-mail', () => {
    const p = notificationPayload(rule, 'd1', 'firing', 11, Date.parse('2026-11-27T10:00:00Z'));
    expect(p).toEqual({
      id: 'd1',
      rule_id: 'r',
      rule_name: 'Checkout failures',
      state: 'firing',
      value: 11,
      threshold: 10,
      window: '5m',
      event_type: 'checkout_failed',
      project: 'web',
      at: '2026-11-27T10:00:00.000Z',
    });
    const m = emailMessage({ ...p, rule_name: '<b>x</b>' }, null);
    expect(m.subject).toBe('[FIRING] <b>x</b>');
    expect(m.text).toContain('checkout_failed (project web): value 11, threshold 10, window 5m');
    expect(m.html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('a group_by rule names its group in the payload and the e-mail; line breaks in the value stay out of the subject', () => {
    const at = Date.parse('2026-11-27T10:00:00Z');
    const p = notificationPayload(rule, 'd1', 'firing', 11, at, { 'geo.country': 'DE' });
    expect(p.group).toEqual({ 'geo.country': 'DE' });
    const m = emailMessage(p, null);
    expect(m.subject).toBe('[FIRING] Checkout failures (geo.country = DE)');
    expect(m.text).toContain('is firing for geo.country = DE.');
    expect(m.text).toContain('Group: geo.country = DE\n');
    expect(m.html).toContain('<p>Group: geo.country = DE</p>');
    const resolved = emailMessage({ ...p, state: 'ok' }, null);
    expect(resolved.text).toContain('is resolved for geo.country = DE (now ok).');
    const evil = emailMessage({ ...p, group: { c: 'DE\r\nBcc: x@example.com<b>' } }, null);
    expect(evil.subject).toBe('[FIRING] Checkout failures (c = DE  Bcc: x@example.com<b>)');
    expect(evil.html).toContain('Group: c = DE  Bcc: x@example.com&lt;b&gt;');
    // Without a group the payload has no `group` key at all (unchanged for rules without group_by).
    expect('group' in notificationPayload(rule, 'd1', 'firing', 11, at)).toBe(false);
  });
});
