// Which reads of GET /v1/metrics may take the tenant's zone as this process read it up to ZONE_LABEL_MAX_AGE_MS ago:
// only those whose buckets and ranking no zone changes (docs/api.md#time-zones).
import { ZONE_LABEL_MAX_AGE_MS, zoneMaxAgeMs } from './metrics';

const age = (query: string) => zoneMaxAgeMs(new URLSearchParams(query));

it('lets 10s/1m/5m reads without a breakdown use a recent zone; 1h, 1d, breakdowns and bad intervals read it fresh', () => {
  for (const interval of ['10s', '1m', '5m'])
    expect(age(`event_type=a&interval=${interval}&prop.x=1&compare=previous`)).toBe(ZONE_LABEL_MAX_AGE_MS);
  for (const interval of ['1h', '1d']) expect(age(`event_type=a&interval=${interval}`)).toBe(0);
  expect(age('event_type=a&interval=1m&breakdown=country')).toBe(0);
  expect(age('event_type=a&interval=1m&breakdown=')).toBe(0);
  expect(age('event_type=a')).toBe(ZONE_LABEL_MAX_AGE_MS); // the default interval, 1m
  expect(age('event_type=a&interval=2m')).toBe(0);
  expect(age('event_type=a&interval=1m&interval=1m')).toBe(0);
});
