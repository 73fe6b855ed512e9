-- The API lists a namespace's most recent orders (optionally of one strategy) with the
-- quantity filled so far: index the listing order and the fills' join on the order id.
CREATE INDEX ledger_orders_recent ON ledger_orders (namespace, placed_at DESC);
CREATE INDEX ledger_orders_strategy ON ledger_orders (namespace, strategy_id, placed_at DESC);
CREATE INDEX ledger_fills_order ON ledger_fills (namespace, order_id);
