"""Strategy runner: one process per TradingStrategy, ticks in, raw signals out."""
