"""A runtime closed while its checkpoint cannot be saved (PostgreSQL down) still leaves its
consumer group: the service rebuilt after the outage gets every partition, none is held by a
member nobody reads."""

from __future__ import annotations

import asyncio

import pytest

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from tests.conftest import eventually
from tests.integration.core.processors import Relay, Source, ledger_pool, running, tick

pytestmark = pytest.mark.integration


class LosingDatabase(PostgresCheckpoints):
    """Checkpoints whose database goes away when told to: a save then hangs until `gone` is
    set, and fails."""

    lost = False
    gone = asyncio.Event()

    async def save(self, *args, **kwargs) -> None:
        if self.lost:
            await self.gone.wait()
            raise ConnectionRefusedError("PostgreSQL is down")
        await super().save(*args, **kwargs)


async def test_a_runtime_closed_during_a_database_outage_leaves_its_group(env, postgres_dsn):
    settings, topics, _ = env
    pool = await ledger_pool(postgres_dsn)
    first_store = LosingDatabase(pool, settings("writer").consumer_group)
    first = Relay(settings("writer"), first_store, inputs=[topics.market_ticks])
    source = Source(settings("source"))
    async with running(source):
        await first.start()
        task = asyncio.create_task(first.run())
        await source.publish(topics.market_ticks, [tick(t, 0) for t in range(1, 9)])
        await eventually(lambda: _holds(len(first.handled) == 8), what="the first batch")
        first_store.lost = True
        await source.publish(topics.market_ticks, [tick(t, 1) for t in range(1, 9)])
        await eventually(lambda: _holds(len(first.handled) == 16), what="the second batch")
        await asyncio.sleep(0.3)  # a checkpoint of the second batch is now saving
        task.cancel()  # the service is torn down by a failure elsewhere
        with pytest.raises(asyncio.CancelledError):
            await task
        first_store.gone.set()
        with pytest.raises(ConnectionRefusedError):
            await first.close()  # the checkpoint in flight fails: the group is left anyway

        second = Relay(
            settings("writer"),
            PostgresCheckpoints(pool, settings("writer").consumer_group),
            inputs=[topics.market_ticks],
        )
        async with running(second):
            await eventually(
                lambda: _holds(len(second.assigned_partitions()) == 4),
                timeout=15,
                what="every partition for the rebuilt member",
            )
            await eventually(  # what the lost checkpoint did not cover is handled again
                lambda: _holds(len(second.handled) >= 8), what="the redelivered batch"
            )
    await pool.close()


async def _holds(value: bool) -> bool:
    return value
