/**
 * The fields of a raw event as read back from the events table, shared by the explorer's rows, a person's timeline
 * and a person's export (each adds how it names the time and the project).
 */
export interface StoredEventFields {
  eventId: string;
  eventType: string;
  receivedAt: Date;
  userId: string | null;
  anonymousId: string | null;
  sessionId: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
}
