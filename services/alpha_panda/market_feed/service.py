"""Publish every tick the Kite feed delivers, keyed by instrument token, and the order updates
Kite pushes on the same connections."""

from __future__ import annotations

import asyncio

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.core.events import SHARED_NAMESPACE, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.domain.orders import BrokerOrderUpdate
from alpha_panda.domain.values import Namespace


class MarketFeed(StreamProcessor):
    """A source-only processor: nothing consumed, ticks emitted as they arrive.

    Kite pushes the account's order updates over the market-data connections. In the zerodha
    namespace they go to its order-updates topic, keyed by Kite's order id, so the live trading
    engine reads an order as soon as it moves. A paper session places no orders at Kite: there
    they are only counted.
    """

    def __init__(self, settings: Settings, feed: KiteFeed) -> None:
        super().__init__(settings)
        self.feed = feed
        self._closing: asyncio.Task[None] | None = None
        self._forwards_updates = settings.namespace is Namespace.ZERODHA

    @property
    def ready(self) -> bool:
        """Return whether every feed connection is subscribed."""
        return self.feed.ready

    async def run(self) -> None:
        """Publish ticks until stopped or until the feed fails (an expired token)."""
        topics = self.settings.topics
        await self.feed.start()
        async for item in self.feed:
            if isinstance(item, BrokerOrderUpdate):
                if self._forwards_updates:
                    update = Outgoing(
                        topics.order_updates, EventType.ORDER_UPDATE, item, item.broker_order_id
                    )
                    await self._emit_event(update)
                    await self.send()
                continue
            for tick in item:
                await self._emit_event(
                    Outgoing(
                        topics.market_ticks,
                        EventType.MARKET_TICK,
                        tick,
                        str(tick.instrument_token),
                        namespace=SHARED_NAMESPACE,
                    )
                )
            await self.send()  # a frame's ticks go out together, without waiting for more

    def stop(self) -> None:
        """Close the feed; iteration ends once its connections are closed."""
        super().stop()
        self._closing = asyncio.get_running_loop().create_task(self.feed.stop())
