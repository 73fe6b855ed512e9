-- The durable state of stateful services (risk engine, portfolio), one row per consumer group,
-- written in the same transaction as the ids of the events that produced it.
CREATE TABLE service_state (
    consumer_group text PRIMARY KEY,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
