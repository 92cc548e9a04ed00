// People: the traits table, erasure confirmation and job states. Pure.
import type { ErasureJob, ErasureStatus } from '../api/types';

/** A trait's value as table text: strings as they are, everything else as JSON. */
export function traitText(value: unknown): string {
  if (typeof value === 'string') return value;
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json;
}

/** Traits sorted by name, as [name, text] rows. */
export function traitRows(traits: Readonly<Record<string, unknown>>): [string, string][] {
  return Object.keys(traits)
    .sort()
    .map((k) => [k, traitText(traits[k])]);
}

/** Erasure asks for the id typed exactly (no trimming: ids may hold spaces; no case folding: ids are exact). */
export const confirmsErasure = (typed: string, id: string): boolean => id !== '' && typed === id;

export const isFinished = (status: ErasureStatus | string): boolean => status === 'done' || status === 'failed';

/** How often a running job is asked for again; none once it has finished. */
export const ERASURE_POLL_MS = 1_000;
export const erasurePollInterval = (job: Pick<ErasureJob, 'status'> | undefined): number | false =>
  job !== undefined && isFinished(job.status) ? false : ERASURE_POLL_MS;

export function erasureStatusText(job: ErasureJob): string {
  switch (job.status) {
    case 'pending':
      return 'Waiting to start…';
    case 'running':
      return 'Erasing events and recomputing counts…';
    case 'done':
      return `Done: ${job.events_erased ?? 0} event${job.events_erased === 1 ? '' : 's'} erased, every count recomputed.`;
    case 'failed':
      return `Failed${job.error ? `: ${job.error}` : ''}. Start the erasure again to retry.`;
    default:
      return String(job.status);
  }
}
