"""A broker on a frozen clock for the simulator's unit tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.domain.values import IST
from kite_sim.broker import Broker
from kite_sim.clock import SimulatedClock

START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
KEY = "sim_key"


class Desk:
    """A broker on a frozen clock, recording the order updates it publishes."""

    def __init__(self, start: datetime = START) -> None:
        self.clock = SimulatedClock(start, speed=0)
        self.registry = registry = InstrumentRegistry.build(start.date())
        self.market = GeneratedMarket(registry, start, seed=4)
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.broker = Broker(
            registry, self.market, self.clock, lambda key, order: self.updates.append((key, order))
        )

    def place(self, variety: str = "regular", **fields: object) -> Any:
        order = {
            "exchange": "NSE",
            "tradingsymbol": "INFY",
            "transaction_type": "BUY",
            "quantity": "1",
            "product": "MIS",
        }
        order.update({key: str(value) for key, value in fields.items()})
        return self.broker.place(KEY, "AP0001", variety, order)

    def quote(self, token: int = 408065) -> Any:
        return self.market.quote(token, self.clock.now())
