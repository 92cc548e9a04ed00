// Which function serves which HTTP route: shared by the local runtime and the CDK API construct.
import { QUERY_ROUTES } from './query/handler';

export type HttpFunctionName = 'ingest' | 'query';

export const HTTP_ROUTES: Record<string, HttpFunctionName> = {
  'POST /v1/events': 'ingest',
  ...Object.fromEntries(Object.keys(QUERY_ROUTES).map((k) => [k, 'query' as const])),
};
