// The MSK event shape (Lambda's Kafka event source) and its records in partition/offset order. Pure.
export interface MskRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string | null;
  value: string | null;
  headers: Record<string, number[]>[];
}

export interface MskEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  eventSourceArn?: string;
  bootstrapServers?: string;
  records: Record<string, MskRecord[]>;
}

export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export function decodeRecords(event: MskEvent): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (const records of Object.values(event.records ?? {})) {
    for (const r of records) {
      const headers: Record<string, string> = {};
      for (const h of r.headers ?? [])
        for (const [k, bytes] of Object.entries(h)) headers[k] = Buffer.from(bytes).toString('utf8');
      out.push({
        topic: r.topic,
        partition: r.partition,
        offset: Number(r.offset),
        timestamp: Number(r.timestamp),
        key: r.key ? Buffer.from(r.key, 'base64').toString('utf8') : null,
        value: r.value ? Buffer.from(r.value, 'base64').toString('utf8') : null,
        headers,
      });
    }
  }
  return out.sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset,
  );
}

/** Builds the MSK event for records of one or more partitions (used by the local runtime and tests). */
export function toMskEvent(
  records: {
    topic: string;
    partition: number;
    offset: string | number;
    timestamp: string | number;
    key: Buffer | null;
    value: Buffer | null;
    headers?: Record<string, Buffer | string | undefined>;
  }[],
  source: { eventSourceArn?: string; bootstrapServers?: string } = {},
): MskEvent {
  const grouped: Record<string, MskRecord[]> = {};
  for (const r of records) {
    const list = (grouped[`${r.topic}-${r.partition}`] ??= []);
    list.push({
      topic: r.topic,
      partition: r.partition,
      offset: Number(r.offset),
      timestamp: Number(r.timestamp),
      timestampType: 'CREATE_TIME',
      key: r.key ? r.key.toString('base64') : null,
      value: r.value ? r.value.toString('base64') : null,
      headers: Object.entries(r.headers ?? {})
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ({ [k]: [...Buffer.from(v as Buffer | string)] })),
    });
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: source.eventSourceArn,
    bootstrapServers: source.bootstrapServers,
    records: grouped,
  };
}
