"""Book orders and fills into the trade ledger and mark positions to market."""

from __future__ import annotations

from datetime import datetime

from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.streaming import NOTHING, Outputs, Snapshot, Subscription
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.portfolio import LedgerEntry, Portfolio
from alpha_panda.domain.signals import Signal


class PortfolioManager:
    """Keep the namespace's positions, P&L, cash and margin; book every order event."""

    def __init__(self, topics: TopicMap, portfolio: Portfolio) -> None:
        self.topics = topics
        self.portfolio = portfolio
        self.subscription = Subscription(
            topics=[
                topics.market_ticks,
                topics.orders_placed,
                topics.orders_filled,
                topics.orders_failed,
                topics.signals_raw,  # when each strategy last signalled, for its status
            ],
            latest_only=[topics.market_ticks],  # positions are marked to the last price
            # An order fetched with its fills is booked before them (they are apart topics).
            first=[topics.orders_placed],
        )
        self._booked = False
        self.marked = False
        """Whether positions or P&L moved since the read cache was last published."""
        self.as_of: datetime | None = None
        """The latest exchange time of a tick marked or a fill booked: the P&L curve's clock."""

    def restore(self, snapshot: Snapshot | None) -> None:
        """Restore positions and booked fill ids saved by a previous run."""
        if snapshot:
            self.portfolio.restore(snapshot)

    def snapshot(self) -> Snapshot | None:
        """Return positions and booked fill ids if an order event was booked."""
        if not self._booked:
            return None
        self._booked = False
        return self.portfolio.snapshot()

    def deduplicates(self, event: EventEnvelope) -> bool:
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Outputs:
        """Mark ticks; book placements, fills (each fill id once) and failures; note signals."""
        data = event.data
        if isinstance(data, Tick):
            self.portfolio.mark(data)
            self.marked = True
            self._advance(data.exchange_timestamp)
            return NOTHING
        if isinstance(data, Signal):
            self.portfolio.note_signal(data)
            self._booked = self.marked = True
            return NOTHING
        if isinstance(data, OrderFilled):
            if not self.portfolio.apply_fill(data):
                return NOTHING  # booked before, under another event id
            self._advance(data.filled_at)
        elif isinstance(data, OrderPlaced):
            self.portfolio.note_order(data)
        elif not isinstance(data, OrderFailed):
            raise TypeError(f"unexpected {event.type} on the portfolio manager's topics")
        self._booked = self.marked = True
        namespace = self.portfolio.config.namespace
        entry = LedgerEntry(namespace=namespace, event_id=event.id, event=data)
        return Outputs(records=[entry])

    def _advance(self, instant: datetime) -> None:
        if self.as_of is None or instant > self.as_of:
            self.as_of = instant

    async def publish_view(self, cache: PortfolioCache) -> None:
        """Publish summaries and positions, and the curve's point at `as_of`, if they moved."""
        if not self.marked:
            return
        self.marked = False
        portfolio = self.portfolio
        await cache.publish(
            portfolio.namespace_summary(),
            [portfolio.strategy_summary(s) for s in portfolio.strategy_ids()],
            portfolio.positions(),
            as_of=self.as_of,
        )
