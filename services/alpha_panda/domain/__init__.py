"""Pure trading logic: no I/O, no Kafka, no database.

The same code serves live trading, paper trading and backtests.
"""
