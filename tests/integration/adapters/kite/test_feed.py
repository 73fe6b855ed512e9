"""The market feed against the Kite simulator: streaming, reconnects, watchdog, token expiry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.adapters.kite.frames import TickBatch
from alpha_panda.backtest.generated_market.frames import StreamMode
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import BrokerOrderUpdate
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.conftest import eventually
from tests.integration.adapters.kite.conftest import (
    CommandLog,
    equity_tokens,
    feed_config,
    holds,
    record_commands,
)

SLACK = timedelta(seconds=5)
"""How far a tick's exchange time may be from the simulator's clock when it is read."""


@pytest.fixture
async def running() -> AsyncIterator[list[KiteFeed]]:
    """Collect feeds a test starts and stop them all afterwards."""
    feeds: list[KiteFeed] = []
    yield feeds
    for feed in feeds:
        await feed.stop()


async def _start(feeds: list[KiteFeed], feed: KiteFeed) -> KiteFeed:
    feeds.append(feed)
    await feed.start()
    return feed


async def _ticks_until(feed: KiteFeed, tokens: set[int]) -> dict[int, Tick]:
    """Consume batches until every token has ticked; return the latest tick per token."""
    latest: dict[int, Tick] = {}
    async with asyncio.timeout(20):
        async for batch in feed:
            if isinstance(batch, TickBatch):
                latest.update((tick.instrument_token, tick) for tick in batch)
            if tokens <= latest.keys():
                return latest
    pytest.fail(f"the feed ended before {len(tokens - latest.keys())} instruments ticked")


async def test_feed_streams_full_ticks_with_depth_and_becomes_ready(
    simulator: KiteSimulator, running: list[KiteFeed]
) -> None:
    tokens = equity_tokens(simulator, 20)
    feed = await _start(running, KiteFeed(feed_config(simulator), tokens))

    latest = await _ticks_until(feed, set(tokens))

    assert feed.ready
    tick = latest[tokens[0]]
    assert tick.mode == "full"
    assert len(tick.bids) == len(tick.asks) == 5
    assert isinstance(tick.last_price, Decimal) and tick.last_price > 0
    expected = simulator.market.quote(tokens[0], simulator.clock.now())
    assert expected is not None
    assert abs(tick.exchange_timestamp - expected.timestamp).total_seconds() < 5


async def test_server_side_disconnect_resubscribes_exactly_once(
    simulator: KiteSimulator, commands: CommandLog, running: list[KiteFeed]
) -> None:
    tokens = equity_tokens(simulator, 30)
    feed = await _start(running, KiteFeed(feed_config(simulator), tokens, jitter=lambda: 0.0))
    await _ticks_until(feed, set(tokens))

    assert await simulator.drop_connections(abrupt=True) == 1
    await eventually(holds(lambda: feed.ready and feed.counters.reconnects == 1), what="reconnect")
    await _ticks_until(feed, set(tokens))

    (connection,) = simulator.hub.connections
    assert commands.actions(connection) == ["subscribe", "mode"]
    assert commands.by_connection[connection][0]["v"] == tokens
    assert connection.modes == dict.fromkeys(tokens, StreamMode.FULL)
    assert commands.count("subscribe") == 2  # one per connection lifetime
    assert feed.counters.reconnects == 1


async def test_expired_token_stops_the_feed_not_ready_without_retrying(
    simulator: KiteSimulator, commands: CommandLog, running: list[KiteFeed]
) -> None:
    tokens = equity_tokens(simulator, 10)
    feed = await _start(running, KiteFeed(feed_config(simulator), tokens))
    await _ticks_until(feed, set(tokens))

    await simulator.expire_tokens()
    async with asyncio.timeout(10):
        await feed.wait_finished()
        batches = [batch async for batch in feed]

    assert not feed.ready
    assert feed.failure is not None and "HTTP 403" in feed.failure
    assert feed.counters.reconnects == 1  # the one attempt the server refused
    assert simulator.hub.connections == []
    assert commands.count("subscribe") == 1
    assert all(isinstance(batch, TickBatch) for batch in batches)


async def test_invalid_token_never_becomes_ready(
    simulator: KiteSimulator, running: list[KiteFeed]
) -> None:
    config = feed_config(simulator).model_copy(update={"access_token": SecretStr("not-a-token")})
    feed = await _start(running, KiteFeed(config, equity_tokens(simulator, 5)))

    async with asyncio.timeout(10):
        await feed.wait_finished()

    assert not feed.ready
    assert feed.failure is not None and "HTTP 403" in feed.failure
    assert feed.counters.reconnects == 0


async def test_silent_connection_is_reopened_by_the_watchdog(running: list[KiteFeed]) -> None:
    # An unknown instrument never ticks and heartbeats are off, so the socket stays silent.
    config = SimulatorConfig(tick_interval=0.05, heartbeat_interval=3600, rate_limits={})
    async with KiteSimulator(config) as simulator:
        commands = record_commands(simulator)
        feed = await _start(
            running,
            KiteFeed(
                feed_config(simulator, watchdog_seconds=0.3), [999_999_999], jitter=lambda: 0.0
            ),
        )
        await eventually(
            holds(
                lambda: feed.counters.watchdog_timeouts >= 1 and commands.count("subscribe") >= 2
            ),
            what="a watchdog reconnect",
        )
        assert feed.counters.reconnects >= 1
        assert feed.counters.ticks == 0
        await feed.stop()


async def test_order_updates_are_delivered_once_each_and_malformed_ones_counted(
    simulator: KiteSimulator, running: list[KiteFeed]
) -> None:
    feed = await _start(running, KiteFeed(feed_config(simulator), equity_tokens(simulator, 1)))
    await eventually(holds(lambda: feed.ready), what="the feed to be ready")
    opened = {"order_id": "42", "tag": "APTAG", "status": "OPEN", "filled_quantity": 0}
    completed = {
        **opened,
        "status": "COMPLETE",
        "filled_quantity": 5,
        "exchange_update_timestamp": "2026-11-25 10:00:04",
    }
    for update in (opened, opened, {"order_id": "43", "filled_quantity": 1}, completed):
        simulator.hub.publish_order(simulator.api_key, update)  # the repeat: a second connection

    updates: list[BrokerOrderUpdate] = []
    async with asyncio.timeout(20):
        async for item in feed:
            if isinstance(item, BrokerOrderUpdate):
                updates.append(item)
                if item.status == "COMPLETE":
                    break

    assert [(u.broker_order_id, u.tag, u.status, u.filled_quantity) for u in updates] == [
        ("42", "APTAG", "OPEN", 0),
        ("42", "APTAG", "COMPLETE", 5),
    ]
    assert updates[1].updated_at == datetime(2026, 11, 25, 4, 30, 4, tzinfo=UTC)
    counters = feed.counters
    assert (counters.order_updates, counters.duplicate_order_updates) == (2, 1)
    assert counters.malformed_order_updates == 1


async def test_nine_thousand_instruments_stream_over_three_connections(
    running: list[KiteFeed],
) -> None:
    config = SimulatorConfig(synthetic_instruments=9000, tick_interval=0.5, rate_limits={})
    async with KiteSimulator(config) as simulator:
        tokens = equity_tokens(simulator, 9000)
        assert len(tokens) == 9000
        feed = await _start(running, KiteFeed(feed_config(simulator, mode="quote"), tokens))

        latest = await _ticks_until(feed, set(tokens))

        assert len(latest) == 9000
        connections = simulator.hub.connections
        assert sorted(len(connection.modes) for connection in connections) == [3000] * 3
        assert set().union(*(connection.modes for connection in connections)) == set(tokens)
        assert feed.ready

        # Kite sends the account's order updates on every connection: the feed keeps one.
        simulator.hub.publish_order(simulator.api_key, {"order_id": "7", "status": "OPEN"})
        await eventually(
            holds(lambda: feed.counters.duplicate_order_updates == 2), what="all three copies"
        )
        update = await anext(item async for item in feed if isinstance(item, BrokerOrderUpdate))
        assert (update.broker_order_id, feed.counters.order_updates) == ("7", 1)
        await feed.stop()
        assert feed.counters.dropped_ticks == 0


async def test_slow_consumer_loses_oldest_batches_and_every_loss_is_counted(
    simulator: KiteSimulator, running: list[KiteFeed]
) -> None:
    tokens = equity_tokens(simulator, 20)
    feed = await _start(running, KiteFeed(feed_config(simulator, max_pending_ticks=40), tokens))
    await eventually(holds(lambda: feed.counters.dropped_ticks > 0), what="a dropped batch")
    await feed.stop()

    delivered = [tick async for batch in feed for tick in batch]

    assert len(delivered) + feed.counters.dropped_ticks == feed.counters.ticks
    assert 0 < len(delivered) <= 2 * len(tokens)


async def test_quotes_streamed_before_the_full_mode_takes_effect_never_become_ticks(
    simulator: KiteSimulator, running: list[KiteFeed]
) -> None:
    """Kite streams a new subscription as quotes until the mode request takes effect, and a
    quote carries no exchange time. Stamped with the local clock, one such tick put the risk
    manager's clock hours past the simulated day, and it refused every later signal as stale."""
    tokens = equity_tokens(simulator, 5)
    feed = await _start(running, KiteFeed(feed_config(simulator), tokens))
    await _ticks_until(feed, set(tokens))
    skipped = feed.skipped_packets
    for connection in simulator.hub.connections:  # as if the full mode had not taken effect
        connection.modes.update(dict.fromkeys(connection.modes, StreamMode.QUOTE))
        connection.sent_sequences.clear()

    yielded: list[Tick] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(1.5):
            async for batch in feed:
                if isinstance(batch, TickBatch):
                    yielded.extend(batch)

    assert feed.skipped_packets >= skipped + len(tokens)  # every instrument streamed quotes
    now = simulator.clock.now()
    stray = [t for t in yielded if t.mode != "full" or abs(t.exchange_timestamp - now) > SLACK]
    assert stray == []
