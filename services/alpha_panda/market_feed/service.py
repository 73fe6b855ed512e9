"""Publish every tick the Kite feed delivers, keyed by instrument token."""

from __future__ import annotations

import asyncio

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.core.events import SHARED_NAMESPACE, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor


class MarketFeed(StreamProcessor):
    """A source-only processor: nothing consumed, ticks emitted as they arrive."""

    def __init__(self, settings: Settings, feed: KiteFeed) -> None:
        super().__init__(settings)
        self.feed = feed
        self._closing: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """Return whether every feed connection is subscribed."""
        return self.feed.ready

    async def run(self) -> None:
        """Publish ticks until stopped or until the feed fails (an expired token)."""
        topic = self.settings.topics.market_ticks
        await self.feed.start()
        async for ticks in self.feed:
            for tick in ticks:
                await self._emit_event(
                    Outgoing(
                        topic,
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
