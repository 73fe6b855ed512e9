"""The ids a consumer group already handled, which make redelivery harmless."""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Iterable

from alpha_panda.core.ids import event_id_millis, first_id_of_millis
from alpha_panda.core.streaming.checkpoint import CheckpointStore


class ProcessedIds:
    """Answer "was this event handled before?" for one consumer group.

    Event ids are UUIDv7s stamped with their (cause's) creation time. After `load_recent()` the
    window of ids stamped within the last `window_ms` is held in memory, so a fresh event is
    answered without a round trip to the store; older ones are looked up there.
    """

    def __init__(self, store: CheckpointStore, window_ms: int = 10_000) -> None:
        self._store = store
        self._window_ms = window_ms
        self._recent: set[uuid.UUID] = set()
        self._arrival: deque[uuid.UUID] = deque()
        self._loaded = False

    async def load_recent(self) -> None:
        """Load the ids recorded within the window; call when partitions are assigned.

        Whoever owned the partitions before checkpointed on revocation, so from now on the
        window in memory is complete for them.
        """
        ids = await self._store.ids_since(first_id_of_millis(self._horizon()))
        self._recent.clear()
        self._arrival.clear()
        self.remember(ids)
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
            found.update(await self._store.seen(old))
        return found

    def _horizon(self) -> int:
        return time.time_ns() // 1_000_000 - self._window_ms

    def _forget_old(self) -> int:
        """Drop ids stamped before the window (oldest arrivals first); return its start."""
        horizon = self._horizon()
        arrival = self._arrival
        while arrival and event_id_millis(arrival[0]) < horizon:
            self._recent.discard(arrival.popleft())
        return horizon
