"""A fatal handler failure halts the processor and leaves the event for the next run."""

from __future__ import annotations

import asyncio

import pytest

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.core.streaming import FatalError
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.core.streaming.dead_letters import read_dead_letters
from tests.conftest import eventually
from tests.integration.core.processors import Relay, Source, ledger_pool, settings_for, tick

pytestmark = pytest.mark.integration


async def test_a_fatal_error_stops_consumption_without_dead_letter_record_or_commit(
    kafka_bootstrap, postgres_dsn, redis_url, unique
) -> None:
    def settings(service: str):
        return settings_for(service, unique, kafka_bootstrap, postgres_dsn, redis_url)

    topics = settings("relay").topics
    await ensure_topics(kafka_bootstrap, topics)
    pool = await ledger_pool(postgres_dsn)
    ledger = PostgresCheckpoints(pool, settings("relay").consumer_group)

    def session_expired(event) -> None:
        if event.data.instrument_token == 13:
            raise FatalError("the broker session expired")

    source = Source(settings("source"))
    await source.start()
    [sent] = await source.publish(topics.market_ticks, [tick(13, 0)])
    halting = Relay(settings("relay"), ledger, inputs=[topics.market_ticks], fail=session_expired)
    await halting.start()
    await asyncio.wait_for(halting.run(), timeout=30)  # returns by itself: halted
    await halting.close()
    assert halting.failure == "the broker session expired" and halting.handled == []
    assert await ledger.seen([sent.id]) == set()
    assert await read_dead_letters(kafka_bootstrap, topics.market_ticks) == []

    healthy = Relay(settings("relay"), ledger, inputs=[topics.market_ticks])
    await healthy.start()
    task = asyncio.create_task(healthy.run())
    await eventually(lambda: _handled(healthy), what="the event redelivered to the same group")
    healthy.stop()
    await task
    await healthy.close()
    await source.close()
    await pool.close()
    assert [event.id for event in healthy.handled] == [sent.id]
    assert healthy.attempts == 1 and halting.attempts == 1  # never retried


async def _handled(relay: Relay) -> bool:
    return bool(relay.handled)
