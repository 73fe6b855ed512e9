"""A consumer group's checkpoints in PostgreSQL: handled event ids (`processed_events`), the
service's state (`service_state`) and, for the ledger writer, the trade ledger, in one
transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

RecordWriter = Callable[[asyncpg.Connection, Sequence[object]], Awaitable[None]]


class PostgresCheckpoints:
    """The `CheckpointStore` of one consumer group."""

    def __init__(
        self, pool: asyncpg.Pool, consumer_group: str, records: RecordWriter | None = None
    ) -> None:
        """`records` books a handler's ledger records (the portfolio manager's trade ledger)."""
        self._pool = pool
        self.group = consumer_group
        self._records = records

    async def ids_since(self, first: uuid.UUID) -> list[uuid.UUID]:
        """Return the handled ids from `first` (a UUIDv7 lower bound) on."""
        rows = await self._pool.fetch(
            "SELECT event_id FROM processed_events WHERE consumer_group = $1 AND event_id >= $2",
            self.group,
            first,
        )
        return [row["event_id"] for row in rows]

    async def seen(self, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Return those of `event_ids` recorded as handled."""
        rows = await self._pool.fetch(
            "SELECT event_id FROM processed_events"
            " WHERE consumer_group = $1 AND event_id = ANY($2::uuid[])",
            self.group,
            list(event_ids),
        )
        return {row["event_id"] for row in rows}

    async def load_snapshot(self) -> dict[str, Any] | None:
        """Return the group's last saved state, or None on its first start."""
        return await load_snapshot(self._pool, self.group)

    async def save(
        self,
        event_ids: Sequence[uuid.UUID],
        snapshot: dict[str, Any] | None,
        records: Sequence[object],
    ) -> None:
        """Record handled ids, the snapshot and ledger records in one transaction."""
        if records and self._records is None:
            raise TypeError(f"{self.group} produced ledger records but has no ledger to book them")
        async with self._pool.acquire() as connection, connection.transaction():
            if records and self._records is not None:
                await self._records(connection, records)
            if snapshot is not None:
                await save_snapshot(connection, self.group, snapshot)
            if event_ids:
                await connection.execute(
                    "INSERT INTO processed_events (consumer_group, event_id)"
                    " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
                    self.group,
                    list(event_ids),
                )


async def load_snapshot(pool: asyncpg.Pool, consumer_group: str) -> dict[str, Any] | None:
    """Return the last state a consumer group saved, or None before its first save."""
    raw = await pool.fetchval(
        "SELECT state FROM service_state WHERE consumer_group = $1", consumer_group
    )
    return None if raw is None else dict(json.loads(raw))


async def save_snapshot(
    connection: asyncpg.Connection, consumer_group: str, snapshot: dict[str, Any]
) -> None:
    """Upsert a consumer group's state inside the caller's transaction."""
    document = json.dumps(snapshot, default=str)
    await connection.execute(
        "INSERT INTO service_state (consumer_group, state, updated_at)"
        " VALUES ($1, $2::jsonb, now())"
        " ON CONFLICT (consumer_group) DO UPDATE SET state = $2::jsonb, updated_at = now()",
        consumer_group,
        document,
    )
