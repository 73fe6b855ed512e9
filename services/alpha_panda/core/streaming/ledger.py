"""The durable record of handled event ids that makes redelivery harmless."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

import asyncpg

StateWriter = Callable[[asyncpg.Connection], Awaitable[None]]


class ProcessedLedger:
    """Event ids per consumer group, stored in PostgreSQL (`processed_events`)."""

    def __init__(self, pool: asyncpg.Pool, consumer_group: str) -> None:
        self._pool = pool
        self._group = consumer_group

    async def seen(self, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Return those of `event_ids` this group has already handled."""
        ids = list(event_ids)
        if not ids:
            return set()
        rows = await self._pool.fetch(
            "SELECT event_id FROM processed_events"
            " WHERE consumer_group = $1 AND event_id = ANY($2::uuid[])",
            self._group,
            ids,
        )
        return {row["event_id"] for row in rows}

    async def record(
        self, event_ids: Iterable[uuid.UUID], state: StateWriter | None = None
    ) -> None:
        """Record handled ids, and the service's state when given, in one transaction."""
        ids = list(event_ids)
        if not ids and state is None:
            return
        async with self._pool.acquire() as connection, connection.transaction():
            if state is not None:
                await state(connection)
            await connection.execute(
                "INSERT INTO processed_events (consumer_group, event_id)"
                " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
                self._group,
                ids,
            )
