// Imported first by the secrets-in-logs suite: the logger is built at LOG_LEVEL DEBUG (Powertools goes back to
// the level it was built with at every invocation, so setLogLevel() later would not last).
process.env.LOG_LEVEL = 'DEBUG';
