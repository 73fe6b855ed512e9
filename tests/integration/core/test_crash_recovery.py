"""A consumer killed with SIGKILL mid-batch loses nothing and duplicates no effect."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.events import decode
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from tests.conftest import ROOT, eventually
from tests.integration.core.processors import Source, running, settings_for, tick

pytestmark = pytest.mark.integration

EVENTS = 3000


async def test_sigkill_mid_batch_then_restart_handles_every_event_once_in_effect(
    kafka_bootstrap, postgres_dsn, redis_url, unique
):
    settings = settings_for("counter", unique, kafka_bootstrap, postgres_dsn, redis_url)
    topics = settings.topics
    await ensure_topics(kafka_bootstrap, topics, TopicConfig(partitions=3))
    pool = await connect(postgres_dsn)
    await pool.execute(
        "CREATE TABLE effect_counter (n integer NOT NULL); INSERT INTO effect_counter VALUES (0)"
    )
    source = Source(settings_for("source", unique, kafka_bootstrap, postgres_dsn, redis_url))
    async with running(source):
        await source.publish(topics.market_ticks, [tick(1 + i % 50, i) for i in range(EVENTS)])

    async def counter() -> int:
        return await pool.fetchval("SELECT n FROM effect_counter")

    async def processed() -> int:
        return await pool.fetchval(
            "SELECT count(*) FROM processed_events WHERE consumer_group = $1",
            settings.consumer_group,
        )

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "services"), str(ROOT)]),
        "ALPHA_PANDA_SERVICE_NAME": settings.service_name,
        "ALPHA_PANDA_NAMESPACE": "paper",
        "ALPHA_PANDA_GROUP_PREFIX": settings.group_prefix,
        "ALPHA_PANDA_TOPIC_PREFIX": settings.topic_prefix,
        "ALPHA_PANDA_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "ALPHA_PANDA_POSTGRES_DSN": postgres_dsn,
        "ALPHA_PANDA_REDIS_URL": redis_url,
    }
    command = [sys.executable, "-m", "tests.integration.core.counting_service"]

    first = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    await eventually(lambda: _at_least(counter, EVENTS // 5), timeout=60, what="a fifth handled")
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = await counter()
    assert at_kill < EVENTS, "the kill came too late to interrupt anything"

    second = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    await eventually(lambda: _at_least(processed, EVENTS), timeout=90, what="every event handled")
    second.send_signal(signal.SIGTERM)
    assert await second.wait() == 0

    assert await counter() == EVENTS
    assert await processed() == EVENTS
    emitted = await _read_all(kafka_bootstrap, topics.signals_raw)
    assert len({event.id for event in emitted}) == EVENTS
    assert len(emitted) >= EVENTS
    await pool.close()


async def _at_least(query, target: int) -> bool:
    try:
        return await query() >= target
    except asyncpg.PostgresError:
        return False


async def _read_all(bootstrap: str, topic: str):
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        ends = await consumer.end_offsets(partitions)
        events = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500)
            events += [decode(record.value) for records in batch.values() for record in records]
        return events
    finally:
        await consumer.stop()
