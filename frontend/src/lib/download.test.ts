import { filenameOf } from '../api/client';
import { joinPages } from './download';

describe('joinPages', () => {
  it('joins NDJSON pages line by line', () => {
    expect(joinPages(['{"a":1}\n', '{"a":2}'], 'ndjson')).toBe('{"a":1}\n{"a":2}\n');
    expect(joinPages([], 'ndjson')).toBe('');
  });

  it('keeps one CSV header', () => {
    expect(joinPages(['t,value\n1,2\n', 't,value\n3,4\n', '5,6'], 'csv')).toBe('t,value\n1,2\n3,4\n5,6\n');
  });
});

describe('filenameOf', () => {
  it('reads Content-Disposition and drops any path', () => {
    expect(filenameOf('attachment; filename="signup-count.csv"')).toBe('signup-count.csv');
    expect(filenameOf("attachment; filename*=UTF-8''caf%C3%A9.csv")).toBe('café.csv');
    expect(filenameOf('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameOf('attachment; filename="%E0%A4%A.csv"')).toBe('%E0%A4%A.csv');
    expect(filenameOf(null)).toBeNull();
    expect(filenameOf('inline')).toBeNull();
  });
});
