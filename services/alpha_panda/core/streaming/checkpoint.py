"""Checkpoints: what was handled becomes durable, and only then are its offsets committed.

A checkpoint takes the deliveries of everything emitted since the last one, the ids handled,
the handler's snapshot, its ledger records and the offsets reached. It waits for the broker to
acknowledge the deliveries, saves ids, snapshot and records in one transaction of the store,
runs the after-checkpoint hook, then commits the offsets. Checkpoints run one at a time, beside
the batches that follow, so offsets commit in order and durability costs no latency.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from alpha_panda.core.streaming.handler import Snapshot
from alpha_panda.core.streaming.publish import Delivery

log = logging.getLogger(__name__)

Offsets = dict[object, int]
"""Next offset to consume per topic partition."""


class CheckpointStore(Protocol):
    """Durable storage of one consumer group's handled ids, state and ledger records."""

    async def ids_since(self, first: uuid.UUID) -> list[uuid.UUID]:
        """Return the handled ids from `first` (a UUIDv7 lower bound) on."""
        ...

    async def seen(self, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Return those of `event_ids` recorded as handled."""
        ...

    async def load_snapshot(self) -> Snapshot | None:
        """Return the last saved snapshot, or None before the first."""
        ...

    async def save(
        self, event_ids: Sequence[uuid.UUID], snapshot: Snapshot | None, records: Sequence[object]
    ) -> None:
        """Record handled ids, the snapshot (when given) and ledger records in one transaction."""
        ...


class Checkpointer:
    """Collects what batches handled and makes it durable in order."""

    def __init__(
        self,
        store: CheckpointStore,
        commit: Callable[[Offsets], Awaitable[None]],
        after: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._commit = commit
        self._after = after
        self._ids: list[uuid.UUID] = []
        self._records: list[object] = []
        self._offsets: Offsets = {}
        self._running: asyncio.Task[None] | None = None
        self._started_at = time.monotonic()
        self.unrecorded: set[uuid.UUID] = set()
        """Ids handled but not yet saved: a redelivery in between is still a duplicate."""

    def handled(self, event_id: uuid.UUID | None, records: Sequence[object]) -> None:
        """Note an event handled exactly once (its id) and the ledger records it produced."""
        if event_id is not None:
            self._ids.append(event_id)
            self.unrecorded.add(event_id)
        self._records.extend(records)

    def reached(self, offsets: Offsets) -> None:
        """Note the next offsets to consume, once a batch's outputs were handed over."""
        self._offsets.update(offsets)

    def due(self, interval: float) -> bool:
        """Tell whether a checkpoint is due and none is still running (a slow one delays the
        next, never the batches)."""
        idle = self._running is None or self._running.done()
        return idle and time.monotonic() - self._started_at >= interval

    @property
    def pending(self) -> bool:
        """Tell whether anything awaits a checkpoint."""
        return bool(self._offsets or self._ids or self._records)

    async def start(self, deliveries: list[Delivery], snapshot: Snapshot | None) -> None:
        """Start a checkpoint of everything noted so far; it runs in the background.

        The caller takes the snapshot and the deliveries between batches, so the transaction
        may run while later batches are handled.
        """
        await self.finish()
        self._started_at = time.monotonic()
        if not self.pending and snapshot is None:
            if deliveries:  # side work's output, with nothing to commit: awaited like one
                self._running = asyncio.create_task(_acknowledged(deliveries))
            return
        ids, self._ids = self._ids, []
        records, self._records = self._records, []
        offsets, self._offsets = self._offsets, {}
        self._running = asyncio.create_task(self._run(deliveries, ids, snapshot, records, offsets))

    async def finish(self) -> None:
        """Wait for the running checkpoint, if any."""
        running, self._running = self._running, None
        if running is not None:
            await running

    async def _run(
        self,
        deliveries: list[Delivery],
        ids: list[uuid.UUID],
        snapshot: Snapshot | None,
        records: list[object],
        offsets: Offsets,
    ) -> None:
        await asyncio.gather(*deliveries)  # what the handled events emitted is durable first
        if ids or snapshot is not None or records:
            await self._store.save(ids, snapshot, records)
        self.unrecorded.difference_update(ids)
        if self._after is not None:
            try:
                await self._after()
            except Exception as error:  # a read cache is never worth stopping the ledger for
                log.warning("after-checkpoint step failed: %r", error)
        if offsets:
            await self._commit(offsets)


async def _acknowledged(deliveries: list[Delivery]) -> None:
    await asyncio.gather(*deliveries)
