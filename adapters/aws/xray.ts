// The X-Ray trace id of the Lambda invocation being served. The Lambda runtime sets _X_AMZN_TRACE_ID per invocation
// (active tracing, lib/function-defaults.ts), so it is read per request here rather than once with the configuration.
// Unset locally, where the W3C `traceparent` request header is what links producer and consumer logs.
export function currentXrayTraceId(env: Record<string, string | undefined> = process.env): string | undefined {
  return env._X_AMZN_TRACE_ID;
}
