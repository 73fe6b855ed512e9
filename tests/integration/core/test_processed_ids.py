"""The processed-event ids: PostgreSQL for old ids, memory for the recent window."""

from __future__ import annotations

import time

import pytest

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.core.ids import derived_event_id, first_id_of_millis, new_event_id
from alpha_panda.core.streaming.dedupe import ProcessedIds
from tests.integration.core.processors import ledger_pool

pytestmark = pytest.mark.integration


def stamped_ago(seconds: float):
    """Return an event id whose UUIDv7 time lies `seconds` in the past."""
    millis = time.time_ns() // 1_000_000 - int(seconds * 1000)
    return derived_event_id(first_id_of_millis(millis), 0, "test")


async def test_recent_ids_recorded_before_the_load_and_remembered_ids_are_seen(
    postgres_dsn, unique
):
    pool = await ledger_pool(postgres_dsn)
    group = f"processed-{unique}"
    earlier, handled_now, unknown = new_event_id(), new_event_id(), new_event_id()
    await PostgresCheckpoints(pool, group).save([earlier], None, [])

    processed = ProcessedIds(PostgresCheckpoints(pool, group))
    await processed.load_recent()
    processed.remember([handled_now])
    assert await processed.seen([earlier, handled_now, unknown]) == {earlier, handled_now}
    await pool.close()


async def test_ids_older_than_the_window_are_looked_up_in_postgres(postgres_dsn, unique):
    pool = await ledger_pool(postgres_dsn)
    group = f"processed-{unique}"
    old, old_unknown = stamped_ago(60), stamped_ago(60)
    processed = ProcessedIds(PostgresCheckpoints(pool, group), window_ms=10_000)
    await processed.load_recent()
    await PostgresCheckpoints(pool, group).save(
        [old], None, []
    )  # by another member, after our load
    assert await processed.seen([old, old_unknown]) == {old}
    await pool.close()


async def test_memory_answers_only_for_ids_inside_the_window(postgres_dsn, unique):
    pool = await ledger_pool(postgres_dsn)
    processed = ProcessedIds(PostgresCheckpoints(pool, f"processed-{unique}"), window_ms=10_000)
    await processed.load_recent()
    inside, outside = stamped_ago(5), stamped_ago(11)
    processed.remember([inside, outside])
    # `outside` is unrecorded and older than the window: PostgreSQL is asked and never saw it.
    assert await processed.seen([inside, outside]) == {inside}
    await pool.close()
