-- Strategy configuration; the operator writes it from TradingStrategy resources.
CREATE TABLE strategies (
    strategy_id text PRIMARY KEY,
    namespace text NOT NULL CHECK (namespace IN ('paper', 'zerodha')),
    strategy_type text NOT NULL,
    instruments bigint[] NOT NULL,
    parameters jsonb NOT NULL DEFAULT '{}',
    risk_limits jsonb NOT NULL DEFAULT '{}',
    paused boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX strategies_namespace ON strategies (namespace);
