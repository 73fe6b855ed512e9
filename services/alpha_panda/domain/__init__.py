"""Pure trading logic: no I/O, no Kafka, no database. The same code serves live, paper and backtest."""
