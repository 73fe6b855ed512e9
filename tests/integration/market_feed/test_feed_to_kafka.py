"""Simulator → market feed service → Kafka: every tick arrives, and the metrics say so."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.core.events import decode
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from alpha_panda.market_feed.service import MarketFeed
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.conftest import eventually
from tests.integration.adapters.kite.conftest import equity_tokens, feed_config
from tests.integration.core.processors import settings_for

pytestmark = pytest.mark.integration


async def count_ticks(bootstrap: str, topic: str) -> dict[int, int]:
    """Return how many tick events each instrument has on the topic."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    counts: dict[int, int] = {}
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = decode(record.value)
                    assert event.key == str(event.data.instrument_token) == record.key.decode()
                    token = event.data.instrument_token
                    counts[token] = counts.get(token, 0) + 1
    finally:
        await consumer.stop()
    return counts


async def test_every_tick_the_feed_receives_reaches_kafka_and_the_metrics(
    kafka_bootstrap, postgres_dsn, redis_url, unique
):
    settings = settings_for(
        f"market-feed-{unique}", unique, kafka_bootstrap, postgres_dsn, redis_url
    )
    topic = settings.topics.market_ticks
    await ensure_topics(kafka_bootstrap, settings.topics, TopicConfig(partitions=3))
    config = SimulatorConfig(tick_interval=0.02, rate_limits={}, synthetic_instruments=400)
    async with KiteSimulator(config) as simulator:
        tokens = equity_tokens(simulator, 400)
        service = MarketFeed.for_settings(settings, KiteFeed(feed_config(simulator), tokens))
        await service.start()
        running = asyncio.create_task(service.run())

        async def enough() -> bool:
            return service.feed.counters.ticks >= 5_000

        await eventually(enough, timeout=60, what="5,000 ticks through the feed")
        service.stop()
        await running
        await service.close()

    received = service.feed.counters.ticks
    assert service.feed.counters.dropped_ticks == 0
    counts = await count_ticks(kafka_bootstrap, topic)
    assert sum(counts.values()) == received
    assert set(counts) <= set(tokens) and len(counts) > 300
    emitted = REGISTRY.get_sample_value(
        "alpha_panda_events_emitted_total", {"service": settings.service_name, "topic": topic}
    )
    assert emitted == received
