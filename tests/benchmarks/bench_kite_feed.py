"""Print the sustained ticks/s the market feed client takes over Kite's WebSocket protocol.

The feed runs here, pinned to CPU 0, subscribed to 9,000 instruments over three connections;
the source runs in another process pinned to CPU 1. After a warm-up the script counts ticks
delivered through `async for batch in feed` for a fixed window and prints ticks/s, the feed's
CPU use, ticks per CPU-second (its capacity on one core) and losses. Sources:

- `simulator`: the Kite simulator process (`python -m kite_sim`), logged into with
  the official client. It computes every quote live and is itself the bottleneck here.
- `replay`: frames produced beforehand by the simulator's market model and frame encoder,
  replayed to each connection for exactly the tokens it subscribed, at a fixed pace of
  `rounds` full sweeps of all 9,000 instruments per second.

With `kafka` as a fifth argument the `market-feed` service publishes every tick to the local
Kafka instead (started by `scripts/infra.sh up`): the figures are ticks published per second,
and the run ends by checking that the topic holds every tick the service emitted.

    python tests/benchmarks/bench_kite_feed.py simulator|replay [ltp|quote|full] [seconds] [rounds] [kafka]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests
from aiohttp import web
from kiteconnect import KiteConnect
from prometheus_client import REGISTRY
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed, KiteFeedConfig
from alpha_panda.backtest.generated_market.frames import StreamMode, encode_frame, encode_packet
from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from alpha_panda.market_feed.service import MarketFeed

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.benchmarks.bench_stream_processor import infra, records_in
from tests.integration.core.processors import settings_for

INSTRUMENTS = 9000
WARM_UP_SECONDS = 5.0
REPLAY_INSTANTS = 4


def _start_simulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = [
        "taskset", "-c", "1", sys.executable, "-m", "kite_sim",
        "--synthetic-instruments", str(INSTRUMENTS), "--tick-interval", "0.25",
        "--speed", "2", "--no-rate-limits",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines: dict[str, str] = {}
    while not {"rest", "websocket", "login", "api_key", "api_secret"} <= lines.keys():
        key, _, value = process.stdout.readline().strip().partition(" ")
        if not key:
            raise RuntimeError("the simulator exited before printing its addresses")
        lines[key] = value
    return process, lines


def _simulator_source(mode: str) -> tuple[subprocess.Popen[str], KiteFeedConfig, list[int]]:
    """Start the simulator and log in as a user does: login redirect, then the official client."""
    process, lines = _start_simulator()
    redirect = requests.get(lines["login"], allow_redirects=False, timeout=10)
    request_token = parse_qs(urlparse(redirect.headers["Location"]).query)["request_token"][0]
    kite = KiteConnect(lines["api_key"], root=lines["rest"])
    kite.set_access_token(kite.generate_session(request_token, lines["api_secret"])["access_token"])
    tokens = [
        int(row["instrument_token"])
        for row in kite.instruments("NSE")
        if row["tradingsymbol"].startswith("SYNTH")
    ][:INSTRUMENTS]
    config = KiteFeedConfig(
        ws_url=lines["websocket"],
        api_key=lines["api_key"],
        access_token=SecretStr(kite.access_token),
        mode=mode,
    )
    return process, config, tokens


def _replay_server(mode: str, rounds_per_second: float, ports: multiprocessing.Queue) -> None:
    os.sched_setaffinity(0, {1})
    start = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    registry = InstrumentRegistry.build(start.date(), INSTRUMENTS)
    market = GeneratedMarket(registry, start, seed=3)
    tokens = [item.instrument_token for item in registry if not item.is_index][-INSTRUMENTS:]
    packets: list[dict[int, bytes]] = []
    for step in range(REPLAY_INSTANTS):
        instant = start + timedelta(seconds=step)
        quotes = ((token, market.quote(token, instant)) for token in tokens)
        packets.append({token: encode_packet(q, StreamMode(mode)) for token, q in quotes if q})

    async def handle(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        subscribed = json.loads((await socket.receive()).data)["v"]
        await socket.receive()  # the mode command
        frames = [encode_frame([sweep[token] for token in subscribed]) for sweep in packets]
        sender = asyncio.create_task(_send(socket, frames))
        async for _ in socket:  # answer the client's close handshake
            pass
        sender.cancel()
        return socket

    async def _send(socket: web.WebSocketResponse, frames: list[bytes]) -> None:
        began = time.monotonic()
        sweep = 0
        while not socket.closed:
            await socket.send_bytes(frames[sweep % len(frames)])
            sweep += 1
            await asyncio.sleep(max(0.0, began + sweep / rounds_per_second - time.monotonic()))

    async def serve() -> None:
        app = web.Application()
        app.add_routes([web.get("/", handle)])
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        ports.put((site._server.sockets[0].getsockname()[1], tokens))
        await asyncio.Event().wait()

    asyncio.run(serve())


async def _measure(config: KiteFeedConfig, tokens: list[int], seconds: float) -> None:
    feed = KiteFeed(config, tokens)
    await feed.start()
    loop = asyncio.get_running_loop()
    counted = 0
    window_start = window_cpu = 0.0
    warm_until = loop.time() + WARM_UP_SECONDS
    async for batch in feed:
        now = loop.time()
        if now < warm_until:
            continue
        if not window_start:
            window_start, window_cpu = now, time.process_time()
            continue
        for _tick in batch:  # decode every tick, as the publishing service does
            counted += 1
        if now - window_start >= seconds:
            break
    elapsed = loop.time() - window_start
    cpu = time.process_time() - window_cpu
    print(f"mode {config.mode}: {len(feed.shards)} connections, {len(tokens)} instruments")
    print(f"  delivered {counted:,} ticks in {elapsed:.1f} s = {counted / elapsed:,.0f} ticks/s")
    print(f"  feed CPU {cpu:.1f} s ({cpu / elapsed:.0%} of one core)")
    print(f"  capacity {counted / cpu:,.0f} ticks per CPU-second")
    counters = feed.counters
    print(
        f"  dropped {counters.dropped_ticks}, reconnects {counters.reconnects},"
        f" malformed frames {counters.malformed_frames}, skipped packets {feed.skipped_packets}"
    )
    await feed.stop()


async def _measure_published(config: KiteFeedConfig, tokens: list[int], seconds: float) -> None:
    env = infra()
    prefix = uuid.uuid4().hex[:8]
    settings = settings_for(
        "market-feed",
        prefix,
        env["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        env["ALPHA_PANDA_POSTGRES_DSN"],
        env["ALPHA_PANDA_REDIS_URL"],
    )
    topic = settings.topics.market_ticks
    await ensure_topics(settings.kafka_bootstrap, settings.topics, TopicConfig(partitions=6))
    feed = KiteFeed(config, tokens)
    service = MarketFeed.for_settings(settings, feed)
    await service.start()
    running = asyncio.create_task(service.run())
    sample = ("alpha_panda_events_emitted_total", {"service": "market-feed", "topic": topic})

    def published() -> float:
        return REGISTRY.get_sample_value(*sample) or 0.0

    loop = asyncio.get_running_loop()
    await asyncio.sleep(WARM_UP_SECONDS)
    start, start_cpu, start_count = loop.time(), time.process_time(), published()
    await asyncio.sleep(seconds)
    elapsed, cpu = loop.time() - start, time.process_time() - start_cpu
    count = published() - start_count
    service.stop()
    await running
    await service.close()
    in_kafka = await records_in(settings.kafka_bootstrap, topic)
    print(f"mode {config.mode}: {len(feed.shards)} connections, {len(tokens)} instruments")
    print(f"  published {count:,.0f} ticks in {elapsed:.1f} s = {count / elapsed:,.0f} ticks/s")
    print(f"  feed CPU {cpu:.1f} s ({cpu / elapsed:.0%} of one core)")
    print(f"  capacity {count / cpu:,.0f} ticks per CPU-second")
    print(
        f"  dropped {feed.counters.dropped_ticks}; the topic holds {in_kafka:,} of the"
        f" {published():,.0f} ticks emitted"
    )


def main() -> None:
    """Start the chosen source, stream for the window and print the figures."""
    source = sys.argv[1] if len(sys.argv) > 1 else "simulator"
    mode = sys.argv[2] if len(sys.argv) > 2 else "quote"
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    rounds = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    measure = _measure_published if sys.argv[5:6] == ["kafka"] else _measure
    os.sched_setaffinity(0, {0})
    if source == "simulator":
        process, config, tokens = _simulator_source(mode)
        try:
            asyncio.run(measure(config, tokens, seconds))
        finally:
            process.terminate()
            process.wait()
        return
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_replay_server, args=(mode, rounds, ports))
    server.start()
    try:
        port, tokens = ports.get(timeout=300)
        config = KiteFeedConfig(
            ws_url=f"ws://127.0.0.1:{port}/", api_key="replay", access_token=SecretStr("replay"),
            mode=mode,
        )  # fmt: skip
        print(f"replay source: {rounds:g} sweeps/s = {rounds * INSTRUMENTS:,.0f} ticks/s offered")
        asyncio.run(measure(config, tokens, seconds))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
