"""Kite's streaming WebSocket: subscriptions and modes, binary tick frames, order updates."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import WSMsgType, web

from alpha_panda.backtest.generated_market.frames import (
    HEARTBEAT,
    MAX_PACKETS_PER_FRAME,
    StreamMode,
    encode_frame,
    encode_packet,
)
from alpha_panda.backtest.generated_market.quotes import MarketModel
from kite_sim.auth import SessionStore
from kite_sim.clock import SimulatedClock
from kite_sim.errors import KiteError

log = logging.getLogger(__name__)

MAX_INSTRUMENTS_PER_CONNECTION = 3000
MAX_CONNECTIONS_PER_API_KEY = 3


@dataclass(eq=False)
class Connection:
    """One client's socket, its subscriptions and what it has been sent."""

    api_key: str
    access_token: str
    request: web.Request
    socket: web.WebSocketResponse
    modes: dict[int, StreamMode] = field(default_factory=dict)
    sent_sequences: dict[int, int] = field(default_factory=dict)
    last_send: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: bytes | str) -> None:
        """Send one frame; binary for bytes, text for str. Failures mean the peer is gone."""
        async with self.lock:
            if self.socket.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                if isinstance(payload, bytes):
                    await self.socket.send_bytes(payload)
                else:
                    await self.socket.send_str(payload)
            self.last_send = time.monotonic()


class TickerHub:
    """Accept ticker sockets, apply client commands and stream frames to every connection."""

    def __init__(
        self,
        market: MarketModel,
        clock: SimulatedClock,
        sessions: SessionStore,
        on_tick_round: Callable[[], None] = lambda: None,
        tick_interval: float = 0.5,
        heartbeat_interval: float = 1.0,
    ) -> None:
        self._market = market
        self._clock = clock
        self._sessions = sessions
        self.on_tick_round = on_tick_round
        self.tick_interval = tick_interval
        self.heartbeat_interval = heartbeat_interval
        self.connections: list[Connection] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one WebSocket client authenticated by `api_key` and `access_token`."""
        api_key = request.query.get("api_key", "")
        access_token = request.query.get("access_token", "")
        try:
            self._sessions.authenticate(api_key, access_token)
        except KiteError as error:
            return web.json_response(error.body(), status=error.status)
        socket = web.WebSocketResponse(autoping=True, compress=False)
        await socket.prepare(request)
        connection = Connection(api_key, access_token, request, socket)
        if (
            sum(1 for other in self.connections if other.api_key == api_key)
            >= MAX_CONNECTIONS_PER_API_KEY
        ):
            await connection.send(_error("Maximum WebSocket connections per API key exceeded."))
            await socket.close(code=1008, message=b"too many connections")
            return socket
        self.connections.append(connection)
        try:
            async for message in socket:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_command(connection, message.data)
        finally:
            self.connections.remove(connection)
        return socket

    async def _on_command(self, connection: Connection, data: str | bytes) -> None:
        try:
            command = json.loads(data)
            problem = _apply(connection, command["a"], command["v"])
        except (ValueError, KeyError, TypeError, IndexError):
            problem = "Invalid message."
        if problem is not None:
            await connection.send(_error(problem))

    def publish_order(self, api_key: str, order: dict[str, Any]) -> None:
        """Send an order update to every connection of the order's API key."""
        text = json.dumps({"type": "order", "id": "", "data": order})
        for connection in self.connections:
            if connection.api_key == api_key:
                task = asyncio.ensure_future(connection.send(text))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        """Stream ticks every `tick_interval` real seconds until cancelled."""
        while True:
            started = time.monotonic()
            try:
                self.on_tick_round()
                await self.stream_once()
            except Exception:
                log.exception("tick round failed")
            await asyncio.sleep(max(0.0, self.tick_interval - (time.monotonic() - started)))

    async def stream_once(self) -> None:
        """Send every connection the quotes that changed since it last heard of them."""
        now = self._clock.now()
        deliveries = []
        for connection in list(self.connections):
            try:
                self._sessions.authenticate(connection.api_key, connection.access_token)
            except KiteError:
                # Tokens also die on the simulated clock (06:00 IST), not only by a test hook.
                await connection.socket.close(code=1000, message=b"access token expired")
                continue
            deliveries.append(self._deliver(connection, self._changed_packets(connection, now)))
        # Each connection drains at its own pace; a slow reader must not stall the others.
        await asyncio.gather(*deliveries)

    def _changed_packets(self, connection: Connection, now: datetime) -> list[bytes]:
        packets = []
        sent = connection.sent_sequences
        for token, mode in list(connection.modes.items()):
            quote = self._market.quote(token, now)
            if quote is None or sent.get(token) == quote.sequence:
                continue
            sent[token] = quote.sequence
            packets.append(encode_packet(quote, mode))
        return packets

    async def _deliver(self, connection: Connection, packets: list[bytes]) -> None:
        for start in range(0, len(packets), MAX_PACKETS_PER_FRAME):
            await connection.send(encode_frame(packets[start : start + MAX_PACKETS_PER_FRAME]))
        if not packets and time.monotonic() - connection.last_send >= self.heartbeat_interval:
            await connection.send(HEARTBEAT)

    async def close_connections(
        self, access_tokens: set[str] | None = None, abrupt: bool = False
    ) -> int:
        """Close connections (of the given tokens, if any); abrupt drops skip the close frame."""
        hit = [
            connection
            for connection in self.connections
            if access_tokens is None or connection.access_token in access_tokens
        ]
        for connection in hit:
            if abrupt and connection.request.transport is not None:
                connection.request.transport.abort()
            else:
                await connection.socket.close(code=1000, message=b"closed by server")
        return len(hit)


def _apply(connection: Connection, action: str, value: Any) -> str | None:
    """Apply one client command to a connection; return an error message for the client."""
    if action == "subscribe":
        tokens = [token for token in value if isinstance(token, int)]
        room = MAX_INSTRUMENTS_PER_CONNECTION - len(connection.modes)
        fresh = [token for token in dict.fromkeys(tokens) if token not in connection.modes]
        for token in fresh[: max(room, 0)]:
            connection.modes[token] = StreamMode.QUOTE
        if len(fresh) > room:
            return "Maximum instruments per connection (3000) exceeded."
    elif action == "unsubscribe":
        for token in value:
            connection.modes.pop(token, None)
            connection.sent_sequences.pop(token, None)
    elif action == "mode":
        mode, tokens = StreamMode(value[0]), value[1]
        for token in tokens:
            if token in connection.modes:
                connection.modes[token] = mode
                connection.sent_sequences.pop(token, None)
    else:
        return f"Unknown action {action!r}."
    return None


def _error(message: str) -> str:
    return json.dumps({"type": "error", "data": message})
