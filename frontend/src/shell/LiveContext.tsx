// Live refresh on/off, shared by every screen (the toggle sits in the top bar).
import { createContext, useContext } from 'react';

export interface LiveState {
  live: boolean;
  setLive: (live: boolean) => void;
}

export const LiveContext = createContext<LiveState>({ live: true, setLive: () => undefined });

export function useLive(): LiveState {
  return useContext(LiveContext);
}
