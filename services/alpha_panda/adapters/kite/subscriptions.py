"""One market-data connection's subscriptions: what it should carry and what Kite was told."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiohttp

from alpha_panda.adapters.kite.sharding import allocate

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubscriptionChange:
    """What one call of `KiteFeed.set_instruments` changed, and what did not fit."""

    added: tuple[int, ...]
    """Instruments newly subscribed (or about to be, on a connection still opening)."""
    removed: tuple[int, ...]
    """Instruments no longer subscribed."""
    overflow: tuple[int, ...]
    """Wanted instruments no connection has room for: they do not tick."""


@dataclass(eq=False)
class ConnectionSubscriptions:
    """The instruments one connection should carry and those subscribed on its live socket.

    `wanted` changes whenever the feed's instruments do and `changed` is set; the socket's task
    then sends Kite the difference. `sent` is emptied when a socket ends, so the next socket
    subscribes the whole current set.
    """

    number: int
    """The connection's number, for logs."""
    wanted: tuple[int, ...]
    sent: dict[int, None] = field(default_factory=dict)
    live: bool = False
    """Whether a socket is open and every command for `wanted` has been sent on it."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the connection is no longer needed or the feed stops."""

    def want(self, tokens: tuple[int, ...]) -> None:
        """Make `tokens` this connection's instruments; an empty set closes it."""
        if tokens == self.wanted:
            return
        self.wanted = tokens
        self.live = False
        self.changed.set()
        if not tokens:
            self.closed.set()

    def commands(self, mode: str) -> list[str]:
        """Return Kite's commands that take the socket from `sent` to `wanted`; record them.

        Unsubscribing goes first, so the connection has room for what replaces it.
        """
        wanted = dict.fromkeys(self.wanted)
        removed = [token for token in self.sent if token not in wanted]
        added = [token for token in wanted if token not in self.sent]
        messages = []
        if removed:
            messages.append(json.dumps({"a": "unsubscribe", "v": removed}))
        if added:
            messages.append(json.dumps({"a": "subscribe", "v": added}))
            messages.append(json.dumps({"a": "mode", "v": [mode, added]}))
        self.sent = wanted
        return messages

    async def keep_in_step(self, socket: aiohttp.ClientWebSocketResponse, mode: str) -> None:
        """Send Kite each change of the instruments on this socket; close it once not needed.

        Runs beside the socket's receiving loop until cancelled; a failed send ends it quietly,
        the receiving side seeing the socket end and reconnecting.
        """
        while True:
            self.changed.clear()
            if self.closed.is_set():
                await socket.close()
                return
            try:
                for command in self.commands(mode):
                    await socket.send_str(command)
            except (aiohttp.ClientError, ConnectionError) as error:
                logger.warning("connection %d lost: %s", self.number, type(error).__name__)
                return
            self.live = not self.changed.is_set()
            await self.changed.wait()


class SubscriptionTable:
    """The feed's connections with the instruments of each, and the instruments that fit none."""

    def __init__(self) -> None:
        self.connections: list[ConnectionSubscriptions] = []
        self.overflow: tuple[int, ...] = ()
        self._numbered = 0

    def change(
        self, tokens: Iterable[int]
    ) -> tuple[SubscriptionChange, list[ConnectionSubscriptions], list[ConnectionSubscriptions]]:
        """Make `tokens` the wanted instruments; return the change, the connections to open and
        those to close. Raise `ValueError` for a non-token, changing nothing."""
        current = list(self.connections)
        allocation = allocate([connection.wanted for connection in current], tokens)
        before = dict.fromkeys(token for connection in current for token in connection.wanted)
        for connection, shard in zip(current, allocation.shards, strict=False):
            connection.want(shard)
        opened = []
        for shard in allocation.shards[len(current) :]:
            self._numbered += 1
            opened.append(ConnectionSubscriptions(self._numbered, shard))
        closed = [connection for connection in current if not connection.wanted]
        self.connections = [c for c in current if c.wanted] + opened
        self.overflow = allocation.overflow
        after = {token for shard in allocation.shards for token in shard}
        change = SubscriptionChange(
            added=tuple(
                token for shard in allocation.shards for token in shard if token not in before
            ),
            removed=tuple(token for token in before if token not in after),
            overflow=allocation.overflow,
        )
        return change, opened, closed
