-- Property filters (prop.<path>=<value>) of the explorer, of GET /v1/metrics and of alert rules: a containment
-- index on the raw events' properties (adapters/postgres/property-filter.ts adds the @> test it can answer), so a
-- page of matches — or the news that nothing matches — does not need a scan of every event of the type.
create index if not exists events_properties_path_ops on events using gin (properties jsonb_path_ops);
