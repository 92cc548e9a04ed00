// Sign-in check: a key is good for the dashboard if it can read events.
import { createApiClient, isApiError } from '../api/client';
import { fetchEventsPage } from '../api/events';
import { apiBaseUrl } from '../config';

export async function verifyReadAccess(apiKey: string): Promise<void> {
  const client = createApiClient({ baseUrl: apiBaseUrl, apiKey });
  await fetchEventsPage(client, { limit: 1 });
}

export function signInErrorMessage(error: unknown): string {
  if (!isApiError(error)) return 'Something went wrong while checking the key. Try again.';
  if (error.status === 401) return 'Unknown or revoked key';
  if (error.status === 403) return 'This key cannot read (it needs the read or admin scope)';
  return error.message;
}
