"""Traders the engine can run: paper here; Zerodha lives with the Kite adapter."""

from __future__ import annotations

from alpha_panda.domain.execution.paper import OrderEvent, PaperTrader
from alpha_panda.domain.market import Tick
from alpha_panda.domain.signals import ValidatedSignal


class PaperExecution:
    """The pure paper trader behind the engine's asynchronous `Trader` interface."""

    def __init__(self, trader: PaperTrader) -> None:
        self._trader = trader

    async def execute(
        self, validated: ValidatedSignal, tick: Tick | None, order_id: str
    ) -> list[OrderEvent]:
        """Fill from the latest market data; no I/O happens here."""
        return self._trader.execute(validated, tick, order_id)
