// The API key lives in sessionStorage (this tab only, gone when it closes), never in
// localStorage. If storage is unavailable the key is simply kept in memory.
const STORAGE_KEY = 'customersignal.apiKey';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled by the browser
  }
}

export function loadApiKey(): string | null {
  try {
    return storage()?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

export function saveApiKey(apiKey: string): void {
  try {
    storage()?.setItem(STORAGE_KEY, apiKey);
  } catch {
    // quota or privacy mode: the session still works until reload
  }
}

export function clearApiKey(): void {
  try {
    storage()?.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}
