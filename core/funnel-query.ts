// The port funnel reads go through (adapters/postgres/funnel-reads.ts) and what a read needs. Pure.
import type { FunnelPath, FunnelShape } from './funnel';

/** A step or exclusion's events: one event type and property filters (prop.<path>=<value> rules). */
export interface FunnelEventSpec {
  /** NFC, as ingest stores it. */
  eventType: string;
  props: [string[], string][];
}

export interface FunnelRead {
  tenantId: string;
  projectId: string;
  steps: FunnelEventSpec[];
  /** In the order of shape.exclusions (bit x of an event's exclusion mask = exclusions[x]). */
  exclusions: FunnelEventSpec[];
  /** The breakdown property path, or null. */
  breakdown: string[] | null;
  shape: FunnelShape;
  /** Only persons whose id sorts after this one (UTF-8 bytes), for the persons pages; null: from the start. */
  afterPerson: string | null;
}

export interface FunnelReader {
  /**
   * Calls `onPerson` for each person who enters the funnel (and is not excluded), in person id order (UTF-8 bytes),
   * with the attempt the person is counted with; `onPerson` returns false to stop the read early.
   */
  paths(r: FunnelRead, onPerson: (personId: string, path: FunnelPath) => boolean | void): Promise<void>;
}
