"""Publish every tick the Kite feed delivers, keyed by instrument token, and the order updates
Kite pushes on the same connections."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.core.events import SHARED_NAMESPACE, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, Publisher
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import BrokerOrderUpdate
from alpha_panda.domain.values import Namespace


def feed_outputs(
    item: Iterable[Tick] | BrokerOrderUpdate, topics: TopicMap, forwards_updates: bool
) -> list[Outgoing]:
    """Return the events one item of the feed becomes: a frame's ticks on the shared market
    topic; an order update on the order-updates topic when this namespace trades at Kite."""
    if isinstance(item, BrokerOrderUpdate):
        if not forwards_updates:
            return []
        return [Outgoing(topics.order_updates, EventType.ORDER_UPDATE, item)]
    ticks = topics.market_ticks
    return [Outgoing(ticks, EventType.MARKET_TICK, t, namespace=SHARED_NAMESPACE) for t in item]


class MarketFeed:
    """An event source: nothing consumed, ticks published as they arrive.

    Kite pushes the account's order updates over the market-data connections. In the zerodha
    namespace they go to its order-updates topic, keyed by Kite's order id, so the live trading
    engine reads an order as soon as it moves. A paper session places no orders at Kite: there
    they are only counted.
    """

    def __init__(
        self, topics: TopicMap, feed: KiteFeed, publisher: Publisher, forwards_updates: bool
    ) -> None:
        self.topics = topics
        self.feed = feed
        self.publisher = publisher
        self.forwards_updates = forwards_updates
        self.failure: str | None = None
        self._closing: asyncio.Task[None] | None = None

    @classmethod
    def for_settings(cls, settings: Settings, feed: KiteFeed) -> MarketFeed:
        """Return the feed service of a process; only the zerodha namespace forwards updates."""
        publisher = Publisher(
            settings.kafka_bootstrap,
            source=settings.service_name,
            namespace=settings.namespace.value,
        )
        forwards = settings.namespace is Namespace.ZERODHA
        return cls(settings.topics, feed, publisher, forwards)

    @property
    def ready(self) -> bool:
        """Return whether every feed connection is subscribed."""
        return self.feed.ready

    async def start(self) -> None:
        """Connect the publisher."""
        await self.publisher.start()

    async def run(self) -> None:
        """Publish ticks until stopped or until the feed fails (an expired token)."""
        await self.feed.start()
        async for item in self.feed:
            events = feed_outputs(item, self.topics, self.forwards_updates)
            if events:
                await self.publisher.publish(events)
                await self.publisher.send_overlapped()  # a frame goes out without waiting

    def stop(self) -> None:
        """Close the feed; iteration ends once its connections are closed."""
        self._closing = asyncio.get_running_loop().create_task(self.feed.stop())

    async def close(self) -> None:
        """Deliver what was published and disconnect."""
        await self.publisher.close()
