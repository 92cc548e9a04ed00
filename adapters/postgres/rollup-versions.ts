// A digest of the versions of a set of `rollups` rows, which a reader compares with the one an earlier result was made
// under (a cached breakdown: breakdown-reads.ts; a rebuild hour prepared without the lock: rebuild-store.ts). Every
// write to a row raises its version (rollup_next_version, migration 006), so the digest changes with any change of
// the set.
import type postgres from 'postgres';
import type { Sql } from './client';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * Select-list columns `n` (the rows' count, text) and `v` (text, null without rows): the XOR of a 64-bit hash of
 * each row's (`key`, bucket_start, version), so a change goes unseen with a chance of ~2^-64. Without the ordered
 * text aggregate an md5 needs, ~1 ms for 1 460 rows instead of ~6 ms. `key`: the columns that, with the bucket, tell
 * the rows apart (those the query's WHERE does not fix), as text.
 */
export const versionsDigestColumns = (sql: Sql, key: Fragment): Fragment => sql`
  count(*)::text as n,
  bit_xor(hashint8extended((extract(epoch from bucket_start) * 1000)::bigint,
                           version # hashtextextended(${key}, 0)))::text as v`;

/** `n` and `v` of versionsDigestColumns as one text. */
export const versionsDigest = (row: { n: string; v: string | null }): string => `${row.n}:${row.v ?? ''}`;
