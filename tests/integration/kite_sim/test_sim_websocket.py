"""The ticker WebSocket protocol: modes, heartbeats, caps, drops and expiry, seen by a raw client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from kiteconnect import KiteTicker

from kite_sim.simulator import KiteSimulator
from tests.integration.kite_sim.support import frozen_config

OFFICIAL = KiteTicker("api-key", "access-token")
RELIANCE, INFY, NIFTY = 738561, 408065, 256265


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with KiteSimulator(frozen_config(tick_interval=0.02, heartbeat_interval=0.1)) as running:
        yield running


async def connect(
    http: aiohttp.ClientSession, simulator: KiteSimulator, token: str | None = None
) -> aiohttp.ClientWebSocketResponse:
    access_token = token or simulator.login().access_token
    query = f"?api_key={simulator.api_key}&access_token={access_token}"
    return await http.ws_connect(simulator.urls.websocket + query)


async def next_ticks(socket: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Return the ticks of the next non-heartbeat binary frame."""
    while True:
        message = await socket.receive(timeout=10)
        assert message.type is aiohttp.WSMsgType.BINARY, message
        if len(message.data) > 1:
            return OFFICIAL._parse_binary(message.data)


async def test_subscribe_defaults_to_quote_mode_and_mode_switches_to_full(
    simulator: KiteSimulator,
) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        await socket.send_json({"a": "subscribe", "v": [RELIANCE]})
        (tick,) = await next_ticks(socket)
        assert tick["mode"] == "quote" and tick["instrument_token"] == RELIANCE
        await socket.send_json({"a": "mode", "v": ["full", [RELIANCE]]})
        (tick,) = await next_ticks(socket)
        assert tick["mode"] == "full" and len(tick["depth"]["sell"]) == 5


async def test_idle_connection_gets_one_byte_heartbeats(simulator: KiteSimulator) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        message = await socket.receive(timeout=10)
        assert message.type is aiohttp.WSMsgType.BINARY and message.data == b"\x00"


async def test_only_changed_subscribed_instruments_stream_and_unsubscribe_stops_them(
    simulator: KiteSimulator,
) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        await socket.send_json({"a": "subscribe", "v": [RELIANCE, INFY]})
        await socket.send_json({"a": "mode", "v": ["ltp", [RELIANCE, INFY]]})
        tokens: set[int] = set()
        while {(RELIANCE, "ltp"), (INFY, "ltp")} - tokens:
            tokens |= {
                (tick["instrument_token"], tick["mode"]) for tick in await next_ticks(socket)
            }
        await socket.send_json({"a": "unsubscribe", "v": [INFY]})
        await socket.send_json({"a": "mode", "v": ["full", [RELIANCE]]})
        (tick,) = await next_ticks(socket)
        assert tick["mode"] == "full"
        simulator.clock.advance(timedelta(seconds=30))
        for _ in range(3):
            assert {tick["instrument_token"] for tick in await next_ticks(socket)} == {RELIANCE}
            simulator.clock.advance(timedelta(seconds=1))


async def test_accelerated_clock_streams_moving_prices_and_volume(simulator: KiteSimulator) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        await socket.send_json({"a": "subscribe", "v": [RELIANCE]})
        await next_ticks(socket)
        simulator.clock.set_speed(60)
        volumes = [(await next_ticks(socket))[0]["volume_traded"] for _ in range(4)]
        assert volumes == sorted(volumes) and volumes[-1] > volumes[0]


async def test_fourth_connection_of_an_api_key_is_refused(simulator: KiteSimulator) -> None:
    async with aiohttp.ClientSession() as http:
        sockets = [await connect(http, simulator) for _ in range(3)]
        fourth = await connect(http, simulator)
        message = await fourth.receive(timeout=10)
        assert message.type is aiohttp.WSMsgType.TEXT
        assert json.loads(message.data)["type"] == "error"
        assert (await fourth.receive(timeout=10)).type is aiohttp.WSMsgType.CLOSE
        assert len(simulator.hub.connections) == 3
        for socket in sockets:
            await socket.close()


async def test_subscriptions_beyond_three_thousand_are_refused(simulator: KiteSimulator) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        await socket.send_json({"a": "subscribe", "v": list(range(1, 3002))})
        while (message := await socket.receive(timeout=10)).type is aiohttp.WSMsgType.BINARY:
            pass
        assert "3000" in json.loads(message.data)["data"]
        assert len(simulator.hub.connections[0].modes) == 3000


async def test_server_side_drop_cuts_every_socket(simulator: KiteSimulator) -> None:
    async with aiohttp.ClientSession() as http:
        socket = await connect(http, simulator)
        await socket.receive(timeout=10)
        assert await simulator.drop_connections() == 1
        message = await socket.receive(timeout=10)
        assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_expired_token_closes_the_socket_and_refuses_reconnection(
    simulator: KiteSimulator,
) -> None:
    session = simulator.login()
    async with aiohttp.ClientSession() as http:
        socket = await connect(http, simulator, session.access_token)
        await socket.receive(timeout=10)
        assert await simulator.expire_tokens() == [session.access_token]
        while (await socket.receive(timeout=10)).type is aiohttp.WSMsgType.BINARY:
            pass
        assert socket.closed
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await connect(http, simulator, session.access_token)
        assert refused.value.status == 403


async def test_index_subscription_streams_index_packets(simulator: KiteSimulator) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        await socket.send_json({"a": "subscribe", "v": [NIFTY]})
        await socket.send_json({"a": "mode", "v": ["full", [NIFTY]]})
        ticks = await next_ticks(socket)
        while ticks[0]["mode"] != "full":
            ticks = await next_ticks(socket)
        assert ticks[0]["tradable"] is False and "exchange_timestamp" in ticks[0]


@pytest.mark.parametrize(
    "command",
    [
        '{"a": "mode", "v": ["turbo", [738561]]}',
        '{"a": "subscribe"}',
        "not json",
        '{"a": "dance", "v": []}',
    ],
)
async def test_malformed_commands_get_an_error_message_and_keep_the_socket(
    simulator: KiteSimulator, command: str
) -> None:
    async with aiohttp.ClientSession() as http, await connect(http, simulator) as socket:
        await socket.send_str(command)
        while (message := await socket.receive(timeout=10)).type is aiohttp.WSMsgType.BINARY:
            pass
        assert json.loads(message.data)["type"] == "error"
        await socket.send_json({"a": "subscribe", "v": [RELIANCE]})
        assert (await next_ticks(socket))[0]["instrument_token"] == RELIANCE


async def test_socket_closes_when_the_token_dies_on_the_simulated_clock(
    simulator: KiteSimulator,
) -> None:
    session = simulator.login()
    async with (
        aiohttp.ClientSession() as http,
        await connect(http, simulator, session.access_token) as socket,
    ):
        await socket.receive(timeout=10)
        simulator.clock.set(session.expires_at)
        while (await socket.receive(timeout=10)).type is aiohttp.WSMsgType.BINARY:
            pass
        assert socket.closed and simulator.hub.connections == []
