"""The market-data WebSocket client: sharded connections whose subscriptions change while they
run, reconnects, watchdog, backpressure."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from alpha_panda.adapters.kite.backoff import backoff_delay
from alpha_panda.adapters.kite.frames import FrameDecoder, FrameError, TickBatch
from alpha_panda.adapters.kite.messages import FeedError, OrderUpdate, parse_text_message
from alpha_panda.adapters.kite.orders import order_update
from alpha_panda.adapters.kite.subscriptions import (
    ConnectionSubscriptions,
    SubscriptionChange,
    SubscriptionTable,
)
from alpha_panda.domain.orders import BrokerOrderUpdate

logger = logging.getLogger(__name__)

_AUTH_REJECTED = frozenset({401, 403})
_CLOSED = frozenset({aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED})
# Kite sends an order update to every connection of the API key: the feed keeps one copy,
# recognising the others among the last updates it saw.
_REMEMBERED_UPDATES = 256

FeedItem = TickBatch | BrokerOrderUpdate


class KiteFeedConfig(BaseModel):
    """Where and how the feed connects; the access token stays a secret everywhere."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ws_url: str
    api_key: str
    access_token: SecretStr
    mode: Literal["ltp", "quote", "full"] = "full"
    max_pending_ticks: int = Field(default=100_000, gt=0)
    """Undelivered ticks kept (~5 s of 9,000 instruments at two ticks a second, ~50 MB)."""
    watchdog_seconds: float = Field(default=10.0, gt=0)
    initial_backoff_seconds: float = Field(default=0.5, gt=0)
    max_backoff_seconds: float = Field(default=30.0, gt=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    close_timeout_seconds: float = Field(default=2.0, gt=0)


@dataclass(slots=True)
class FeedCounters:
    """Monotonic counts of what the feed saw; `dropped_ticks` is the backpressure loss."""

    ticks: int = 0
    frames: int = 0
    heartbeats: int = 0
    reconnects: int = 0
    watchdog_timeouts: int = 0
    dropped_ticks: int = 0
    malformed_frames: int = 0
    order_updates: int = 0
    duplicate_order_updates: int = 0
    """Copies of an update that other connections of the API key received too."""
    malformed_order_updates: int = 0
    errors: int = 0
    overflowed_instruments: int = 0
    """Instruments refused for want of room in Kite's limits, counted each time one is refused."""


class KiteFeed:
    """Stream ticks for a changing set of instruments over up to three Kite WebSocket connections.

    Iterate the feed (`async for item in feed`) to receive a `TickBatch` per binary frame,
    whose ticks are decoded as they are iterated, and a `BrokerOrderUpdate` per order update
    (once, though every connection receives it; ahead of waiting ticks, and never dropped).
    Backpressure policy: at most `max_pending_ticks` undelivered ticks are kept; when the
    consumer falls behind the oldest batches are discarded (fresh prices matter more than stale
    ones) and their ticks are added to `counters.dropped_ticks`. A lost connection or one silent
    for `watchdog_seconds` (Kite sends a heartbeat every second) is reopened after an
    exponential, jittered delay and resubscribed once. A rejected access token stops the feed
    for good: `failure` says why, `ready` stays false and iteration ends.

    The instruments may change at any time with `set_instruments`; `instrument_tokens` is the
    first set (none by default: no connection is opened while nothing is wanted). Each
    connection carries up to 3,000 instruments; a new one opens only when the open ones are
    full, one left with nothing closes, and the others change their subscriptions in place.
    What Kite's limits cannot carry is reported in `overflow`, never dropped silently.
    """

    def __init__(
        self,
        config: KiteFeedConfig,
        instrument_tokens: Iterable[int] = (),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.counters = FeedCounters()
        self.failure: str | None = None
        self._table = SubscriptionTable()
        self._session: aiohttp.ClientSession | None = None
        self._group: asyncio.TaskGroup | None = None
        self._tasks: dict[ConnectionSubscriptions, asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._jitter = jitter
        self._decoder = FrameDecoder(full_only=config.mode == "full")
        self._pending: deque[TickBatch] = deque()
        self._pending_ticks = 0
        self._updates: deque[BrokerOrderUpdate] = deque()
        self._seen_updates: dict[str | bytes, None] = {}
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._sockets: dict[ConnectionSubscriptions, aiohttp.ClientWebSocketResponse] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self.set_instruments(instrument_tokens)

    @property
    def shards(self) -> list[tuple[int, ...]]:
        """Return the instrument tokens of each connection."""
        return [connection.wanted for connection in self._table.connections]

    @property
    def overflow(self) -> tuple[int, ...]:
        """Return the wanted instruments that Kite's limits leave without a subscription."""
        return self._table.overflow

    @property
    def ready(self) -> bool:
        """Return whether the feed runs and every connection it needs is open and subscribed.

        True with no instruments at all; false for the moment a change is being sent or a new
        connection opens.
        """
        return (
            self.failure is None
            and self._supervisor is not None
            and not self._stopping.is_set()
            and all(connection.live for connection in self._table.connections)
        )

    def set_instruments(self, tokens: Iterable[int]) -> SubscriptionChange:
        """Make `tokens` the instruments the feed streams, from now on; return what changed.

        Returns at once: subscribe and unsubscribe commands go out on the open connections
        within moments, and a new connection opens in the background if the open ones are full
        (`ready` is true again once all is sent). Instruments beyond Kite's 3 connections x 3,000
        are not subscribed: they are returned in `overflow` and kept in `self.overflow` until a
        later change makes room. Raise `ValueError` for anything that is not an instrument
        token, changing nothing.
        """
        previous = self._table.overflow
        change, opened, closed = self._table.change(tokens)
        for connection in opened:
            self._open(connection)
        for connection in closed:
            self._retire(connection)
        self.counters.overflowed_instruments += len(set(change.overflow) - set(previous))
        if change.overflow:
            logger.warning(
                "%d instruments exceed Kite's connection limits and are not subscribed",
                len(change.overflow),
            )
        return change

    @property
    def skipped_packets(self) -> int:
        """Return how many packets were skipped as uninterpretable."""
        return self._decoder.skipped_packets

    async def start(self) -> None:
        """Open the connections in the background; returns immediately."""
        if self._supervisor is not None:
            raise RuntimeError("the feed has already been started")
        self._supervisor = asyncio.create_task(self._run(), name="kite-feed")

    async def stop(self) -> None:
        """Close every connection, wait for them to finish and end iteration."""
        await self._halt()
        if self._supervisor is None:
            self._finished.set()
        else:
            await self._supervisor

    async def wait_finished(self) -> None:
        """Wait until the feed has stopped, on request or after a fatal failure."""
        await self._finished.wait()

    def __aiter__(self) -> KiteFeed:
        return self

    async def __anext__(self) -> FeedItem:
        while not self._pending and not self._updates:
            if self._finished.is_set():
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        if self._updates:
            return self._updates.popleft()
        batch = self._pending.popleft()
        self._pending_ticks -= len(batch)
        return batch

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(sock_connect=self.config.connect_timeout_seconds)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                asyncio.TaskGroup() as group,
            ):
                self._session, self._group = session, group
                for connection in self._table.connections:
                    self._open(connection)
                await self._stopping.wait()
        except Exception as error:
            # A bug, not a network fault: stop visibly (not ready, `failure` set) instead of
            # limping on with fewer connections.
            logger.exception("market feed crashed")
            self.failure = self.failure or f"feed crashed: {type(error).__name__}"
        finally:
            self._group = None
            self._stopping.set()
            self._finished.set()
            self._wakeup.set()

    def _open(self, connection: ConnectionSubscriptions) -> None:
        """Run a connection in the supervisor's task group, if the feed runs."""
        if self._group is None or self._session is None or self._stopping.is_set():
            return
        # A closing connection still counts against Kite's three: the new one waits for it.
        closing = set(self._closing)
        task = self._group.create_task(self._connection(self._session, connection, closing))
        self._tasks[connection] = task

    def _retire(self, connection: ConnectionSubscriptions) -> None:
        task = self._tasks.pop(connection, None)
        if task is not None and not task.done():
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _halt(self) -> None:
        self._stopping.set()
        for connection in self._table.connections:
            connection.closed.set()
        await asyncio.gather(*(socket.close() for socket in list(self._sockets.values())))

    async def _fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
            logger.error("market feed stopped: %s", reason)
        await self._halt()

    async def _connection(
        self,
        session: aiohttp.ClientSession,
        connection: ConnectionSubscriptions,
        closing: set[asyncio.Task[None]],
    ) -> None:
        if closing:
            await asyncio.wait(closing)
        attempt = 0
        while not connection.closed.is_set():
            number = connection.number
            try:
                streamed = await self._session_on(session, connection)
            except aiohttp.WSServerHandshakeError as error:
                # The error's text holds the URL and so the token: log only the status.
                if error.status in _AUTH_REJECTED:
                    await self._fail(f"Kite rejected the access token (HTTP {error.status})")
                    return
                logger.warning("connection %d refused with HTTP %d", number, error.status)
                streamed = False
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                logger.warning("connection %d lost: %s", number, type(error).__name__)
                streamed = False
            if connection.closed.is_set():
                return
            attempt = 0 if streamed else attempt + 1
            self.counters.reconnects += 1
            delay = backoff_delay(
                attempt,
                self.config.initial_backoff_seconds,
                self.config.max_backoff_seconds,
                self._jitter(),
            )
            with suppress(TimeoutError):
                await asyncio.wait_for(connection.closed.wait(), delay)

    async def _session_on(
        self, session: aiohttp.ClientSession, connection: ConnectionSubscriptions
    ) -> bool:
        """Connect, subscribe, keep the subscriptions in step and stream; return whether any
        frame arrived."""
        params = {
            "api_key": self.config.api_key,
            "access_token": self.config.access_token.get_secret_value(),
        }
        async with session.ws_connect(
            self.config.ws_url,
            params=params,
            autoping=True,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=self.config.close_timeout_seconds),
        ) as socket:
            self._sockets[connection] = socket
            follower = asyncio.create_task(connection.keep_in_step(socket, self.config.mode))
            try:
                return await self._receive(socket)
            finally:
                follower.cancel()
                with suppress(asyncio.CancelledError):
                    await follower
                connection.live = False
                connection.sent = {}
                del self._sockets[connection]

    async def _receive(self, socket: aiohttp.ClientWebSocketResponse) -> bool:
        counters = self.counters
        streamed = False
        while True:
            try:
                message = await socket.receive(timeout=self.config.watchdog_seconds)
            except TimeoutError:
                counters.watchdog_timeouts += 1
                logger.warning("no data for %ss; reconnecting", self.config.watchdog_seconds)
                return streamed
            kind = message.type
            if kind is aiohttp.WSMsgType.BINARY:
                streamed = True
                self._on_binary(message.data)
            elif kind is aiohttp.WSMsgType.TEXT:
                streamed = True
                await self._on_text(message.data)
            elif kind in _CLOSED or kind is aiohttp.WSMsgType.ERROR:
                return streamed

    def _on_binary(self, frame: bytes) -> None:
        counters = self.counters
        if len(frame) < 2:
            counters.heartbeats += 1
            return
        counters.frames += 1
        try:
            batch = self._decoder.batch(frame, datetime.now(UTC))
        except FrameError:
            counters.malformed_frames += 1
            logger.warning("discarded a malformed frame of %d bytes", len(frame))
            return
        if not batch:
            return
        pending = self._pending
        while pending and self._pending_ticks + len(batch) > self.config.max_pending_ticks:
            dropped = len(pending.popleft())
            self._pending_ticks -= dropped
            counters.dropped_ticks += dropped
        pending.append(batch)
        self._pending_ticks += len(batch)
        counters.ticks += len(batch)
        self._wakeup.set()

    async def _on_text(self, payload: Any) -> None:
        message = parse_text_message(payload)
        if isinstance(message, OrderUpdate):
            self._on_order_update(payload, message)
        elif isinstance(message, FeedError):
            self.counters.errors += 1
            if message.is_token_error:
                await self._fail(f"Kite rejected the access token: {message.message}")
            else:
                logger.warning("Kite reported an error: %s", message.message)

    def _on_order_update(self, payload: str | bytes, message: OrderUpdate) -> None:
        seen = self._seen_updates
        if payload in seen:
            self.counters.duplicate_order_updates += 1
            return
        if len(seen) >= _REMEMBERED_UPDATES:
            del seen[next(iter(seen))]
        seen[payload] = None
        try:
            update = order_update(message.data, datetime.now(UTC))
        except ValueError as error:
            self.counters.malformed_order_updates += 1
            logger.warning("discarded a malformed order update: %s", error)
            return
        self.counters.order_updates += 1
        self._updates.append(update)
        self._wakeup.set()
