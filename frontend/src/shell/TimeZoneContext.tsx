// The zone every time on screen is in: the tenant's (GET /v1/tenant), or UTC, visibly, while it is unknown.
import { createContext, useContext } from 'react';
import { FALLBACK_ZONE, type TimeZoneState } from '../lib/timezone';

export type { TimeZoneState };

export const TimeZoneContext = createContext<TimeZoneState>({ zone: FALLBACK_ZONE, source: 'fallback', reason: null });

export function useTimeZone(): TimeZoneState {
  return useContext(TimeZoneContext);
}
