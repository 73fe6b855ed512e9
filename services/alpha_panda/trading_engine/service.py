"""Turn validated signals into orders through a stateless trader and publish their events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.streaming import NOTHING, Outgoing, Outputs, Snapshot, Subscription
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.execution.paper import OrderEvent
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.signals import ValidatedSignal


class Trader(Protocol):
    """A stateless calculator: one validated signal and the market in, order events out."""

    async def execute(
        self, validated: ValidatedSignal, tick: Tick | None, order_id: str
    ) -> list[OrderEvent]:
        """Execute an order and return what happened to it."""
        ...


def order_id_for(event: EventEnvelope) -> str:
    """Return the order id of a validated signal: derived from its event id, so stable."""
    return event.id.hex[:20]


class TradingEngine:
    """Consume validated signals (strategy and instrument read from the nested signal)."""

    def __init__(self, topics: TopicMap, trader: Trader, also_consumes: Sequence[str] = ()) -> None:
        self.topics = topics
        self.trader = trader
        self.last_ticks: dict[int, Tick] = {}
        self.subscription = Subscription(
            topics=[topics.market_ticks, topics.signals_validated, *also_consumes],
            latest_only=[topics.market_ticks],  # orders are priced from the latest tick
        )

    def restore(self, snapshot: Snapshot | None) -> None:
        """Nothing to restore: the paper engine keeps no state beyond the latest prices."""

    def snapshot(self) -> Snapshot | None:
        """Return nothing: the latest prices are read again from the market topic."""
        return None

    def deduplicates(self, event: EventEnvelope) -> bool:
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Outputs:
        """Keep the latest price per instrument; execute each validated signal's order."""
        data = event.data
        if isinstance(data, Tick):
            self.last_ticks[data.instrument_token] = data
            return NOTHING
        if not isinstance(data, ValidatedSignal):
            raise TypeError(f"unexpected {event.type} on the trading engine's topics")
        tick = self.last_ticks.get(data.signal.instrument_token)
        results = await self.trader.execute(data, tick, order_id_for(event))
        return Outputs([self.outgoing(result) for result in results])

    def outgoing(self, result: OrderEvent) -> Outgoing:
        """Return the event that reports an order's result on its topic."""
        topics = self.topics
        if isinstance(result, OrderPlaced):
            return Outgoing(topics.orders_placed, EventType.ORDER_PLACED, result)
        if isinstance(result, OrderFilled):
            return Outgoing(topics.orders_filled, EventType.ORDER_FILLED, result)
        if isinstance(result, OrderFailed):
            return Outgoing(topics.orders_failed, EventType.ORDER_FAILED, result)
        raise TypeError(f"a trader returned {type(result).__name__}")
