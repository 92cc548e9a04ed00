import type { ErasureJob } from '../api/types';
import { personHref, parseHash } from '../lib/router';
import {
  confirmsErasure,
  ERASURE_POLL_MS,
  erasurePollInterval,
  erasureStatusText,
  isFinished,
  traitRows,
  traitText,
} from './people';

const job = (patch: Partial<ErasureJob>): ErasureJob => ({
  id: 'j',
  status: 'pending',
  person: 'u1',
  events_erased: null,
  requested_at: '2026-12-05T12:00:00Z',
  finished_at: null,
  ...patch,
});

describe('people', () => {
  it('lists traits by name, non-strings as JSON', () => {
    expect(traitRows({ plan: 'pro', age: 42, tags: ['a'], nested: { x: null }, none: null })).toEqual([
      ['age', '42'],
      ['nested', '{"x":null}'],
      ['none', 'null'],
      ['plan', 'pro'],
      ['tags', '["a"]'],
    ]);
    expect(traitText(undefined)).toBe('undefined');
  });

  it('confirms an erasure only with the id typed exactly', () => {
    expect(confirmsErasure('user 1', 'user 1')).toBe(true);
    expect(confirmsErasure('user 1 ', 'user 1')).toBe(false);
    expect(confirmsErasure('User 1', 'user 1')).toBe(false);
    expect(confirmsErasure('', '')).toBe(false);
  });

  it('polls a job until it is done or failed', () => {
    expect(erasurePollInterval(undefined)).toBe(ERASURE_POLL_MS);
    expect(erasurePollInterval(job({ status: 'running' }))).toBe(ERASURE_POLL_MS);
    expect(erasurePollInterval(job({ status: 'done' }))).toBe(false);
    expect(isFinished('failed')).toBe(true);
    expect(erasureStatusText(job({ status: 'done', events_erased: 1 }))).toBe(
      'Done: 1 event erased, every count recomputed.',
    );
    expect(erasureStatusText(job({ status: 'failed', error: 'boom' }))).toMatch(/^Failed: boom\./);
  });

  it('links any id, spaces and all, to its person', () => {
    const route = parseHash(personHref('a b&c?'));
    expect(route.screen).toBe('people');
    expect(route.params.get('id')).toBe('a b&c?');
  });
});
