"""Turn validated signals into orders through a stateless trader and publish their events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.core.streaming.ledger import ProcessedLedger
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


class TradingEngine(StreamProcessor):
    """Consume validated signals (strategy and instrument read from the nested signal)."""

    def __init__(
        self,
        settings: Settings,
        ledger: ProcessedLedger,
        trader: Trader,
        also_consumes: Sequence[str] = (),
    ) -> None:
        topics = settings.topics
        super().__init__(
            settings,
            input_topics=[topics.market_ticks, topics.signals_validated, *also_consumes],
            latest_only=[topics.market_ticks],  # orders are priced from the latest tick
            ledger=ledger,
        )
        self.trader = trader
        self.last_ticks: dict[int, Tick] = {}

    def deduplicates(self, event: EventEnvelope) -> bool:
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        data = event.data
        if isinstance(data, Tick):
            self.last_ticks[data.instrument_token] = data
            return []
        if not isinstance(data, ValidatedSignal):
            raise TypeError(f"unexpected {event.type} on the trading engine's topics")
        signal = data.signal
        tick = self.last_ticks.get(signal.instrument_token)
        results = await self.trader.execute(data, tick, order_id_for(event))
        key = f"{signal.strategy_id}:{signal.instrument_token}"
        return [self._outgoing(result, key) for result in results]

    def _outgoing(self, result: OrderEvent, key: str) -> Outgoing:
        topics = self.settings.topics
        if isinstance(result, OrderPlaced):
            return Outgoing(topics.orders_placed, EventType.ORDER_PLACED, result, key)
        if isinstance(result, OrderFilled):
            return Outgoing(topics.orders_filled, EventType.ORDER_FILLED, result, key)
        if isinstance(result, OrderFailed):
            return Outgoing(topics.orders_failed, EventType.ORDER_FAILED, result, key)
        raise TypeError(f"a trader returned {type(result).__name__}")
