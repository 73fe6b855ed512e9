"""Portfolio manager: the durable ledger and the read cache of a namespace."""
