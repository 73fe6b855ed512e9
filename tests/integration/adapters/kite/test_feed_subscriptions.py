"""The market feed changing its subscriptions while it runs, against the Kite simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection

import pytest

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.adapters.kite.frames import TickBatch
from alpha_panda.backtest.generated_market.frames import StreamMode
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.conftest import eventually
from tests.integration.adapters.kite.conftest import (
    CommandLog,
    equity_tokens,
    feed_config,
    holds,
    record_commands,
)

TICKS_WITHIN = 3.0
"""Seconds within which a newly wanted instrument must tick (the simulator ticks every 0.1 s)."""


@pytest.fixture
async def feed(simulator: KiteSimulator) -> AsyncIterator[KiteFeed]:
    """Run a feed with no instruments on the simulator, in full mode."""
    running = KiteFeed(feed_config(simulator), jitter=lambda: 0.0)
    await running.start()
    yield running
    await running.stop()


async def _arrivals(feed: KiteFeed, seconds: float) -> dict[int, list[float]]:
    """Consume the feed for `seconds`; return when (loop time) each instrument ticked."""
    loop = asyncio.get_running_loop()
    seen: dict[int, list[float]] = {}
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(seconds):
            async for item in feed:
                if isinstance(item, TickBatch):
                    now = loop.time()
                    for tick in item:
                        seen.setdefault(tick.instrument_token, []).append(now)
    return seen


async def _all_tick(feed: KiteFeed, tokens: Collection[int], within: float) -> float:
    """Return the seconds until every one of `tokens` ticked, failing after `within`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = set(tokens)
    async with asyncio.timeout(within):
        async for item in feed:
            if isinstance(item, TickBatch):
                waiting.difference_update(tick.instrument_token for tick in item)
                if not waiting:
                    return loop.time() - started
    pytest.fail(f"the feed ended before {len(waiting)} instruments ticked")


def _server_carries(simulator: KiteSimulator) -> list[dict[int, StreamMode]]:
    return [connection.modes for connection in simulator.hub.connections]


async def test_feed_with_no_instruments_is_ready_without_any_connection(
    simulator: KiteSimulator, feed: KiteFeed
) -> None:
    await eventually(holds(lambda: feed.ready), what="the feed to be ready")
    await asyncio.sleep(0.3)

    assert feed.ready and feed.shards == [] and feed.overflow == ()
    assert simulator.hub.connections == []
    assert feed.counters.reconnects == 0


async def test_added_instruments_tick_and_removed_ones_stop_on_the_same_connection(
    simulator: KiteSimulator, commands: CommandLog, feed: KiteFeed
) -> None:
    first, second = equity_tokens(simulator, 10), equity_tokens(simulator, 20)[10:]

    change = feed.set_instruments(first)
    assert change.added == tuple(first) and change.removed == change.overflow == ()
    await _all_tick(feed, first, TICKS_WITHIN)
    (connection,) = simulator.hub.connections

    change = feed.set_instruments([*first, *second])
    assert change.added == tuple(second)
    await _all_tick(feed, second, TICKS_WITHIN)

    kept, removed = first[5:] + second, first[:5]
    assert feed.set_instruments(kept).removed == tuple(removed)
    await eventually(holds(lambda: removed[0] not in connection.modes), what="the unsubscribe")
    changed_at = asyncio.get_running_loop().time()
    arrivals = await _arrivals(feed, 2.0)

    assert set(kept) <= arrivals.keys()
    late = [t for token in removed for t in arrivals.get(token, []) if t > changed_at + 0.5]
    assert late == [], "a removed instrument kept ticking"
    assert simulator.hub.connections == [connection]  # changed in place, never reconnected
    assert feed.counters.reconnects == 0 and feed.ready
    assert connection.modes == dict.fromkeys(kept, StreamMode.FULL)
    assert commands.actions(connection) == [
        "subscribe", "mode", "subscribe", "mode", "unsubscribe",
    ]  # fmt: skip
    assert commands.by_connection[connection][-1]["v"] == removed


async def test_reconnect_resubscribes_the_current_set_once(
    simulator: KiteSimulator, commands: CommandLog, feed: KiteFeed
) -> None:
    tokens = equity_tokens(simulator, 30)
    feed.set_instruments(tokens[:20])
    await _all_tick(feed, tokens[:20], TICKS_WITHIN)
    current = tokens[10:]
    feed.set_instruments(current)
    await eventually(holds(lambda: feed.ready), what="the change to be sent")

    assert await simulator.drop_connections(abrupt=True) == 1
    await eventually(
        holds(lambda: feed.ready and feed.counters.reconnects == 1), what="the reconnect"
    )
    await _all_tick(feed, current, TICKS_WITHIN)

    (connection,) = simulator.hub.connections
    assert [command["a"] for command in commands.by_connection[connection]] == [
        "subscribe",
        "mode",
    ]
    assert commands.by_connection[connection][0]["v"] == current
    assert connection.modes == dict.fromkeys(current, StreamMode.FULL)


async def test_connections_open_when_full_close_when_empty_and_overflow_is_reported() -> None:
    config = SimulatorConfig(synthetic_instruments=9100, tick_interval=0.5, rate_limits={})
    async with KiteSimulator(config) as simulator:
        commands = record_commands(simulator)
        tokens = equity_tokens(simulator, 9100)
        feed = KiteFeed(feed_config(simulator, mode="quote"))
        await feed.start()
        try:
            feed.set_instruments(tokens[:2000])
            await _all_tick(feed, tokens[:2000], 10)
            (first,) = simulator.hub.connections

            feed.set_instruments(tokens[:3500])
            elapsed = await _all_tick(feed, tokens[2000:3500], 10)
            assert sorted(map(len, _server_carries(simulator))) == [500, 3000]
            assert [command["a"] for command in commands.by_connection[first]] == [
                "subscribe",
                "mode",
            ] * 2
            print(f"1,500 instruments over a first and a new connection ticked in {elapsed:.2f} s")

            change = feed.set_instruments(tokens)
            assert change.overflow == feed.overflow == tuple(tokens[9000:])
            assert feed.counters.overflowed_instruments == 100
            await _all_tick(feed, tokens[3500:9000], 10)
            assert sorted(map(len, _server_carries(simulator))) == [3000] * 3
            assert set().union(*_server_carries(simulator)) == set(tokens[:9000])
            await eventually(holds(lambda: feed.ready), what="three subscribed connections")

            change = feed.set_instruments(tokens[:1000])
            assert change.overflow == feed.overflow == ()
            await eventually(
                holds(lambda: simulator.hub.connections == [first]), what="two connections closed"
            )
            assert list(first.modes) == tokens[:1000]
            assert feed.ready and feed.counters.reconnects == 0
            assert feed.counters.overflowed_instruments == 100
        finally:
            await feed.stop()
