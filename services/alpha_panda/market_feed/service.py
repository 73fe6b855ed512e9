"""Publish every tick the Kite feed delivers, keyed by instrument token, and the order updates
Kite pushes on the same connections."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace

from redis.exceptions import RedisError

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.adapters.redis.feed_capacity import FeedCapacity
from alpha_panda.core.events import SHARED_NAMESPACE, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, Publisher, Runtime
from alpha_panda.core.streaming.bootstrap import ensure_named_topics
from alpha_panda.core.streaming.checkpoint import CheckpointStore
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import BrokerOrderUpdate
from alpha_panda.domain.values import Namespace
from alpha_panda.market_feed.subscriptions import FeedSubscriptions

log = logging.getLogger(__name__)


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
    """An event source: ticks published as they arrive, for the instruments the strategies'
    definitions name.

    The definitions of every namespace are followed by a runtime of their own (`subscriptions`);
    each change reaches the Kite connections once it is checkpointed, without a restart, and
    the feed runs and is ready with no instrument at all. Kite pushes the account's order
    updates over the market-data connections. In the zerodha namespace they go to its
    order-updates topic, keyed by Kite's order id, so the live trading engine reads an order
    as soon as it moves. A paper session places no orders at Kite: there they are only counted.
    """

    def __init__(
        self,
        topics: TopicMap,
        feed: KiteFeed,
        publisher: Publisher,
        forwards_updates: bool,
        subscriptions: Runtime | None = None,
    ) -> None:
        self.topics = topics
        self.feed = feed
        self.publisher = publisher
        self.forwards_updates = forwards_updates
        self.subscriptions = subscriptions
        self._closing: asyncio.Task[None] | None = None

    @property
    def failure(self) -> str | None:
        """Why the feed or its subscriptions halted; None while healthy."""
        return self.feed.failure or (self.subscriptions and self.subscriptions.failure) or None

    @property
    def waiting(self) -> str | None:
        """What the feed waits for before it follows the definitions; None once it does."""
        return self.subscriptions.waiting if self.subscriptions else None

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        feed: KiteFeed,
        store: CheckpointStore | None = None,
        capacity: FeedCapacity | None = None,
    ) -> MarketFeed:
        """Return the feed service of a process; only the zerodha namespace forwards updates.

        With a checkpoint store, the feed follows every namespace's definitions (and reports
        the strategies whose instruments are over Kite's limits to `capacity`); without one it
        streams the instruments `feed` was built with.
        """
        publisher = Publisher(
            settings.kafka_bootstrap,
            source=settings.service_name,
            namespace=settings.namespace.value,
        )
        forwards = settings.namespace is Namespace.ZERODHA
        following = None if store is None else _follow(settings, feed, store, capacity)
        return cls(settings.topics, feed, publisher, forwards, following)

    @property
    def ready(self) -> bool:
        """Return whether every feed connection is subscribed."""
        return self.feed.ready

    async def start(self) -> None:
        """Connect the publisher; join the definitions' consumer group and subscribe to the
        instruments wanted when the feed last stopped."""
        await self.publisher.start()
        if self.subscriptions is not None:
            # A namespace that never ran has no definitions topic yet; joining a group on a
            # missing topic would wait for it forever.
            following = self.subscriptions
            topics = following.handler.subscription.topics
            await ensure_named_topics(following.settings.kafka_bootstrap, topics)
            await following.start()
            self.feed.set_instruments(_wanted(self.subscriptions))

    async def run(self) -> None:
        """Publish ticks until stopped or until the feed fails (an expired token)."""
        await self.feed.start()
        following = None
        if self.subscriptions is not None:
            following = asyncio.create_task(self.subscriptions.run())
        try:
            async for item in self.feed:
                events = feed_outputs(item, self.topics, self.forwards_updates)
                if events:
                    await self.publisher.publish(events)
                    await self.publisher.send_overlapped()  # a frame goes out without waiting
        finally:
            if following is not None:
                self.subscriptions.stop()  # type: ignore[union-attr]
                await following

    def stop(self) -> None:
        """Close the feed; iteration ends once its connections are closed."""
        self._closing = asyncio.get_running_loop().create_task(self.feed.stop())

    async def close(self) -> None:
        """Deliver what was published and disconnect (the definitions' group is left even when
        the delivery fails)."""
        try:
            await self.publisher.close()
        finally:
            if self.subscriptions is not None:
                await self.subscriptions.close()


def _wanted(subscriptions: Runtime) -> list[int]:
    handler = subscriptions.handler
    assert isinstance(handler, FeedSubscriptions)
    return handler.instruments()


def definitions_followed(settings: Settings) -> list[str]:
    """Return the definitions topics whose strategies' instruments the feed streams."""
    if settings.feed_definition_topics:
        return [topic.strip() for topic in settings.feed_definition_topics.split(",")]
    return [replace(settings.topics, namespace=namespace).strategies for namespace in Namespace]


def _follow(
    settings: Settings, feed: KiteFeed, store: CheckpointStore, capacity: FeedCapacity | None
) -> Runtime:
    """Return the runtime that moves `feed` to what every namespace's definitions want, and
    says which strategies' instruments are over Kite's limits (for their status)."""
    handler = FeedSubscriptions(definitions_followed(settings))
    published: list[dict[str, tuple[int, ...]]] = []

    async def resubscribe() -> None:
        feed.set_instruments(handler.instruments())
        over = handler.over_capacity(feed.overflow)
        if capacity is None or published[-1:] == [over]:
            return
        try:
            await capacity.publish(over)
        except (RedisError, OSError) as error:  # a cache: the next change tries again
            log.warning("instruments over capacity not published: %r", error)
            return
        published[:] = [over]

    return Runtime(handler, settings, store, after_checkpoint=resubscribe)
