-- The trade ledger: every order and fill, once, keyed by the broker-independent ids.
CREATE TABLE ledger_orders (
    namespace text NOT NULL,
    order_id text NOT NULL,
    event_id uuid NOT NULL,
    strategy_id text NOT NULL,
    instrument_token bigint NOT NULL,
    side text NOT NULL,
    quantity integer NOT NULL,
    order_type text NOT NULL,
    status text NOT NULL,
    reason text,
    placed_at timestamptz NOT NULL,
    PRIMARY KEY (namespace, order_id)
);
CREATE TABLE ledger_fills (
    namespace text NOT NULL,
    fill_id text NOT NULL,
    event_id uuid NOT NULL,
    order_id text NOT NULL,
    strategy_id text NOT NULL,
    instrument_token bigint NOT NULL,
    side text NOT NULL,
    quantity integer NOT NULL,
    price numeric(18, 4) NOT NULL,
    charges numeric(18, 4) NOT NULL,
    filled_at timestamptz NOT NULL,
    PRIMARY KEY (namespace, fill_id)
);
CREATE INDEX ledger_fills_strategy ON ledger_fills (namespace, strategy_id, filled_at);
