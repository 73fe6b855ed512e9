"""The durable record of handled event ids that makes redelivery harmless."""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

import asyncpg

from alpha_panda.core.ids import event_id_millis, first_id_of_millis

StateWriter = Callable[[asyncpg.Connection], Awaitable[None]]


class ProcessedLedger:
    """Event ids per consumer group, stored in PostgreSQL (`processed_events`).

    Event ids are UUIDv7s stamped with their (cause's) creation time. After `load_recent()` the
    ledger also holds in memory every id of the group stamped within the last `window_ms`, so a
    fresh event is answered without a PostgreSQL round trip; older ones are looked up there.
    """

    def __init__(self, pool: asyncpg.Pool, consumer_group: str, window_ms: int = 10_000) -> None:
        self._pool = pool
        self._group = consumer_group
        self._window_ms = window_ms
        self._recent: set[uuid.UUID] = set()
        self._arrival: deque[uuid.UUID] = deque()
        self._loaded = False

    async def load_recent(self) -> None:
        """Load the ids recorded within the window; call when partitions are assigned.

        Whoever owned the partitions before checkpointed on revocation, so from now on the
        window in memory is complete for them.
        """
        since = self._horizon()
        rows = await self._pool.fetch(
            "SELECT event_id FROM processed_events WHERE consumer_group = $1 AND event_id >= $2",
            self._group,
            first_id_of_millis(since),
        )
        self._recent.clear()
        self._arrival.clear()
        self.remember(row["event_id"] for row in rows)
        self._loaded = True

    def remember(self, event_ids: Iterable[uuid.UUID]) -> None:
        """Note ids being handled now, so a second delivery within the window is recognised."""
        for event_id in event_ids:
            if event_id not in self._recent:
                self._recent.add(event_id)
                self._arrival.append(event_id)

    async def seen(self, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Return those of `event_ids` this group has already handled."""
        horizon = self._forget_old()
        old: list[uuid.UUID] = []
        found: set[uuid.UUID] = set()
        for event_id in event_ids:
            if self._loaded and event_id_millis(event_id) >= horizon:
                if event_id in self._recent:
                    found.add(event_id)
            else:
                old.append(event_id)
        if old:
            rows = await self._pool.fetch(
                "SELECT event_id FROM processed_events"
                " WHERE consumer_group = $1 AND event_id = ANY($2::uuid[])",
                self._group,
                old,
            )
            found.update(row["event_id"] for row in rows)
        return found

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

    def _horizon(self) -> int:
        return time.time_ns() // 1_000_000 - self._window_ms

    def _forget_old(self) -> int:
        """Drop ids stamped before the window (oldest arrivals first); return its start."""
        horizon = self._horizon()
        arrival = self._arrival
        while arrival and event_id_millis(arrival[0]) < horizon:
            self._recent.discard(arrival.popleft())
        return horizon
