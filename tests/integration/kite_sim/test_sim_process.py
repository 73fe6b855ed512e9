"""The simulator as its own process, and in replay mode and at full scale in-process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import requests
from kiteconnect import KiteConnect, KiteTicker

from kite_sim.background import BackgroundSimulator
from kite_sim.simulator import KiteSimulator
from tests.integration.kite_sim.support import START, frozen_config

SERVICES = Path(__file__).resolve().parents[3] / "services"
RELIANCE = 738561


def test_process_prints_its_urls_and_serves_the_login_flow() -> None:
    command = [
        sys.executable,
        "-m",
        "kite_sim",
        "--port",
        "0",
        "--speed",
        "0",
        "--start",
        START.replace(tzinfo=None).isoformat(),
        "--api-key",
        "test_key",
        "--api-secret",
        "test_secret",
    ]
    env = {**os.environ, "PYTHONPATH": str(SERVICES)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = dict(process.stdout.readline().split(" ", 1) for _ in range(4))
        rest = lines["rest"].strip()
        assert lines["websocket"].strip().startswith("ws://127.0.0.1:")
        assert lines["api_key"].strip() == "test_key"
        redirect = requests.get(lines["login"].strip(), allow_redirects=False, timeout=5)
        token = redirect.headers["Location"].split("request_token=")[1]
        kite = KiteConnect("test_key", root=rest)
        kite.generate_session(token, api_secret="test_secret")
        assert kite.profile()["broker"] == "ZERODHA"
        quote = kite.quote("NSE:INFY")["NSE:INFY"]
        assert quote["timestamp"] == START.replace(tzinfo=None)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_replay_mode_serves_recorded_prices_in_time_order(tmp_path: Path) -> None:
    ticks = tmp_path / "ticks.jsonl"
    records = [
        {
            "instrument_token": RELIANCE,
            "timestamp": (START + timedelta(seconds=1)).isoformat(),
            "last_price": 1501.0,
            "last_quantity": 5,
        },
        {
            "instrument_token": RELIANCE,
            "timestamp": (START + timedelta(seconds=2)).isoformat(),
            "last_price": 1502.5,
            "last_quantity": 7,
        },
    ]
    ticks.write_text("\n".join(json.dumps(record) for record in records))
    config = frozen_config(start=None, replay_file=ticks)
    with BackgroundSimulator(config) as background:
        session = background.call(background.simulator.login)
        kite = KiteConnect(
            background.simulator.api_key, session.access_token, root=background.urls.rest
        )
        assert kite.ltp("NSE:RELIANCE")["NSE:RELIANCE"]["last_price"] == 1501.0
        background.call(lambda: background.simulator.clock.advance(timedelta(seconds=1)))
        quote = kite.quote("NSE:RELIANCE")["NSE:RELIANCE"]
        assert quote["last_price"] == 1502.5 and quote["volume"] == 12
        assert kite.ltp("NSE:INFY") == {}


async def test_nine_thousand_instruments_stream_over_three_connections() -> None:
    parser = KiteTicker("api-key", "access-token")
    async with KiteSimulator(
        frozen_config(synthetic_instruments=9000, tick_interval=0.05)
    ) as simulator:
        tokens = [instrument.instrument_token for instrument in simulator.registry][:9000]
        session = simulator.login()
        url = f"{simulator.urls.websocket}?api_key={simulator.api_key}&access_token={session.access_token}"

        async def stream(http: aiohttp.ClientSession, chunk: list[int]) -> set[int]:
            async with http.ws_connect(url, max_msg_size=0) as socket:
                await socket.send_json({"a": "subscribe", "v": chunk})
                await socket.send_json({"a": "mode", "v": ["full", chunk]})
                received: set[int] = set()
                while len(received) < len(chunk):
                    message = await socket.receive(timeout=30)
                    ticks = parser._parse_binary(message.data)
                    received |= {
                        tick["instrument_token"] for tick in ticks if tick["mode"] == "full"
                    }
                return received

        async with aiohttp.ClientSession() as http:
            chunks = [tokens[start : start + 3000] for start in range(0, 9000, 3000)]
            results = await asyncio.gather(*(stream(http, chunk) for chunk in chunks))
        assert [len(result) for result in results] == [3000, 3000, 3000]
        assert set().union(*results) == set(tokens)
