// Imported first by run.ts: this process (load generator, setup) logs warnings and errors only. The ingest
// server child gets its own LOG_LEVEL (INFO, as `npm start`; BENCH_LOG_LEVEL overrides).
process.env.LOG_LEVEL ??= 'WARN';
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
