"""A consuming service that also publishes from side work (the live engine's order poll)
must never let a checkpoint commit offsets whose output the broker has not acknowledged."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.core.events import EventType
from alpha_panda.core.streaming import Outgoing, Outputs
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from tests.conftest import eventually
from tests.integration.core.processors import (
    Relay,
    Source,
    ledger_pool,
    running,
    settings_for,
    tick,
)

pytestmark = pytest.mark.integration


def hold_acknowledgements(relay: Relay, gate: asyncio.Event) -> None:
    """Make every delivery of `relay` complete only once `gate` is set, as a slow broker
    acknowledgement would."""
    producer = relay.runtime.publisher._producer
    assert producer is not None
    send_batch = producer.send_batch
    relays: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def held(*args, **kwargs):
        delivered = await send_batch(*args, **kwargs)
        acknowledged = asyncio.get_running_loop().create_future()

        async def relay_ack() -> None:
            await gate.wait()
            acknowledged.set_result(await delivered)

        task = asyncio.get_running_loop().create_task(relay_ack())
        relays.add(task)
        task.add_done_callback(relays.discard)
        return acknowledged

    producer.send_batch = held


async def committed(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


async def test_side_publishing_never_commits_unacknowledged_output(
    kafka_bootstrap, postgres_dsn, redis_url, unique
):
    pool = await ledger_pool(postgres_dsn)

    def settings(service: str):
        return settings_for(service, unique, kafka_bootstrap, postgres_dsn, redis_url)

    topics = settings("probe").topics
    await ensure_topics(kafka_bootstrap, topics, TopicConfig(partitions=1))
    sequence = itertools.count()

    async def poll() -> list[Outputs]:  # what the live engine's poll does after a refresh
        heartbeat = Outgoing(topics.signals_raw, EventType.MARKET_TICK, tick(99, next(sequence)))
        return [Outputs([heartbeat])]

    source = Source(settings("source"))
    relay = Relay(
        settings("relay"),
        PostgresCheckpoints(pool, settings("relay").consumer_group),
        inputs=[topics.market_ticks],
        output=topics.signals_raw,
        side_work=[(0.005, poll)],
    )
    gate = asyncio.Event()
    group = settings("relay").consumer_group
    try:
        async with running(source, relay):
            try:
                hold_acknowledgements(relay, gate)
                await source.publish(topics.market_ticks, [tick(1, 0)])
                await eventually(lambda: _ready(len(relay.handled) == 1), what="the tick handled")
                await asyncio.sleep(1.0)  # ten checkpoint intervals, ~200 side rounds
                early = await committed(kafka_bootstrap, group, topics.market_ticks)
                side_rounds = next(sequence)
                gate.set()

                async def done() -> bool:
                    return await committed(kafka_bootstrap, group, topics.market_ticks) == 1

                await eventually(done, what="the offset committed once acknowledged")
            finally:
                gate.set()  # else leaving would wait for the held acknowledgements
        assert side_rounds > 10, "the side work did not run beside the batch"
        assert early == 0, "an offset was committed before its output was acknowledged"
    finally:
        await pool.close()


async def _ready(value: bool) -> bool:
    return value
