"""The market feed follows the definitions of every namespace while it runs: ready with no
strategy, a new strategy's instruments tick within seconds, a removed one's stop."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
import redis.asyncio as redis
from aiokafka import AIOKafkaConsumer

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.redis.feed_capacity import FeedCapacity
from alpha_panda.core.events import decode
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from alpha_panda.market_feed.service import MarketFeed
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.conftest import eventually
from tests.integration.adapters.kite.conftest import equity_tokens, feed_config
from tests.integration.core.processors import ledger_pool, settings_for

pytestmark = pytest.mark.integration


def definition(strategy_id: str, namespace: Namespace, tokens: tuple[int, ...]) -> StrategyConfig:
    return StrategyConfig(
        strategy_id=strategy_id,
        namespace=namespace,
        strategy_type="momentum",
        instruments=tokens,
        risk_limits=RiskLimits(market_hours=None),
    )


async def test_the_feed_starts_empty_and_follows_every_namespaces_definitions(
    kafka_bootstrap, postgres_dsn, redis_url, unique
):
    settings = await feed_settings(kafka_bootstrap, postgres_dsn, redis_url, unique)
    pool = await ledger_pool(postgres_dsn)
    consumer = AIOKafkaConsumer(
        settings.topics.market_ticks, bootstrap_servers=kafka_bootstrap, auto_offset_reset="latest"
    )
    await consumer.start()
    seen: set[int] = set()

    async def read() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen.update(decode(record.value).data.instrument_token for record in records)

    config = SimulatorConfig(tick_interval=0.05, rate_limits={}, synthetic_instruments=20)
    async with KiteSimulator(config) as simulator:
        paper_token, live_token = equity_tokens(simulator, 2)
        feed = KiteFeed(feed_config(simulator))
        store = PostgresCheckpoints(pool, settings.consumer_group)
        service = MarketFeed.for_settings(settings, feed, store)
        await service.start()
        running = asyncio.create_task(service.run())
        reading = asyncio.create_task(read())
        definitions = DefinitionPublisher.from_settings(settings)
        await definitions.start()
        try:
            await eventually(lambda: _ready(feed.ready), what="the feed ready with none")
            assert feed.shards == []

            defined = time.monotonic()
            await definitions.define(definition("momo", Namespace.PAPER, (paper_token,)))
            await definitions.define(definition("live", Namespace.ZERODHA, (live_token,)))
            await eventually(
                lambda: _ready({paper_token, live_token} <= seen), timeout=10, what="both ticking"
            )
            first_ticks = time.monotonic() - defined

            await definitions.remove("live", Namespace.ZERODHA)
            await eventually(
                lambda: _ready(feed.shards == [(paper_token,)]), what="the removed unsubscribed"
            )
            await asyncio.sleep(0.5)  # ticks already on their way
            seen.clear()
            await asyncio.sleep(1.0)
            assert seen == {paper_token}
        finally:
            await definitions.close()
            reading.cancel()
            service.stop()
            await running
            await service.close()
            await consumer.stop()
            await pool.close()
    assert first_ticks < 10, first_ticks


async def feed_settings(kafka: str, postgres: str, redis_url: str, unique: str) -> Settings:
    """Return a feed's settings once the topics of every namespace it serves exist."""
    settings = settings_for("market-feed", unique, kafka, postgres, redis_url)
    for namespace in Namespace:
        topics = replace(settings.topics, namespace=namespace)
        await ensure_topics(kafka, topics, TopicConfig(partitions=3))
    return settings


async def _ready(value: bool) -> bool:
    return value


async def test_strategies_whose_instruments_are_over_kites_limits_are_named_for_their_status(
    kafka_bootstrap, postgres_dsn, redis_url, unique
):
    settings = await feed_settings(kafka_bootstrap, postgres_dsn, redis_url, unique)
    pool = await ledger_pool(postgres_dsn)
    cache = redis.from_url(redis_url)
    capacity = FeedCapacity(cache, settings.topics.market_scope)
    config = SimulatorConfig(tick_interval=0.5, rate_limits={}, synthetic_instruments=9100)
    async with KiteSimulator(config) as simulator:
        tokens = equity_tokens(simulator, 9100)
        feed = KiteFeed(feed_config(simulator, mode="ltp"))
        store = PostgresCheckpoints(pool, settings.consumer_group)
        service = MarketFeed.for_settings(settings, feed, store, capacity)
        await service.start()
        running = asyncio.create_task(service.run())
        definitions = DefinitionPublisher.from_settings(settings)
        await definitions.start()
        try:
            await definitions.define(definition("wide", Namespace.PAPER, tuple(tokens[:9000])))
            await definitions.define(definition("more", Namespace.ZERODHA, tuple(tokens[9000:])))

            async def reported() -> bool:
                return bool(feed.overflow) and bool(await capacity.read())

            await eventually(reported, timeout=30, what="the overflow reported")
            over = await capacity.read()
            overflow = set(feed.overflow)
            assert len(overflow) == 100  # what Kite's 3 x 3,000 cannot carry
            assert set().union(*over.values()) == overflow  # nothing silently dropped
            assert set(over) <= {"paper/wide", "zerodha/more"}
            for key, wanted in (("paper/wide", tokens[:9000]), ("zerodha/more", tokens[9000:])):
                assert set(over.get(key, ())) == overflow & set(wanted)

            await definitions.remove("more", Namespace.ZERODHA)

            async def cleared() -> bool:
                return not feed.overflow and await capacity.read() == {}

            await eventually(cleared, timeout=30, what="the overflow cleared")
        finally:
            await definitions.close()
            service.stop()
            await running
            await service.close()
            await cache.aclose()
            await pool.close()
