"""Consuming: join the group, fetch batches, pick the records worth decoding, commit."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from alpha_panda.core.streaming import metrics
from alpha_panda.core.streaming.handler import Subscription
from alpha_panda.core.topics import is_compacted

log = logging.getLogger(__name__)

Batch = dict[TopicPartition, list[ConsumerRecord]]


class TopicConsumer:
    """One consumer-group member reading a handler's subscription."""

    def __init__(
        self,
        bootstrap: str,
        *,
        group: str,
        service: str,
        subscription: Subscription,
        max_batch: int,
        fetch_max_wait_ms: int,
    ) -> None:
        self.service = service
        self.subscription = subscription
        self._latest_only = frozenset(subscription.latest_only)
        self._only_keys = {
            topic: frozenset(key.encode() for key in keys)
            for topic, keys in subscription.only_keys.items()
        }
        self._first = frozenset(subscription.first)
        self._compacted = frozenset(t for t in subscription.topics if is_compacted(t))
        self._max_batch = max_batch
        self._floors: dict[TopicPartition, int] = {}
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=service,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=fetch_max_wait_ms,
            max_poll_records=max_batch,
        )

    async def start(
        self,
        on_revoked: Callable[[], Awaitable[None]],
        on_assigned: Callable[[], Awaitable[None]],
    ) -> None:
        """Join the group: `on_revoked` runs before partitions move, `on_assigned` after."""
        listener = _Rebalance(on_revoked, on_assigned)
        self._consumer.subscribe(list(self.subscription.topics), listener=listener)
        await self._consumer.start()

    async def start_recent(self) -> None:
        """Start partitions of `recent_only` topics that the group never committed at the first
        offset of the warm-up window (their end as it is now when nothing is that recent).

        The start is also kept as a floor below which records are skipped: the client resolves
        an uncommitted partition's position to the earliest offset in the background, and that
        can land after this seek, so the seek alone cannot be trusted.
        """
        self._floors = {}
        recent = self.subscription.recent_only
        if not recent:
            return
        now_ms = int(time.time() * 1000)
        fresh = {
            tp: now_ms - int(recent[tp.topic] * 1000)
            for tp in self._consumer.assignment()
            if tp.topic in recent and await self._consumer.committed(tp) is None
        }
        if not fresh:
            return
        found = await self._consumer.offsets_for_times(fresh)
        ends = await self._consumer.end_offsets([tp for tp, at in found.items() if at is None])
        for tp, at in found.items():
            self._floors[tp] = ends[tp] if at is None else at.offset
            self._consumer.seek(tp, self._floors[tp])

    async def stop(self) -> None:
        """Leave the group."""
        await self._consumer.stop()

    async def fetch(self, timeout_ms: int) -> Batch:
        """Return the next batch (empty after `timeout_ms` without records)."""
        batch: Batch = await self._consumer.getmany(
            timeout_ms=timeout_ms, max_records=self._max_batch
        )
        return batch

    def wanted(self, batch: Batch) -> list[ConsumerRecord]:
        """Return the batch's records worth decoding (see `Subscription`), counting the others."""
        records = [record for part in batch.values() for record in part]
        for topic, count in Counter(record.topic for record in records).items():
            metrics.child(metrics.EVENTS_CONSUMED, self.service, topic).inc(count)
        kept = records
        if self._floors:
            kept = self._above_floors(kept)
            self._count_skipped("before the warm-up window", len(records) - len(kept))
        if self._compacted:  # a tombstone ends a key on a compacted topic: nothing to handle
            before = len(kept)
            kept = [r for r in kept if r.value is not None or r.topic not in self._compacted]
            self._count_skipped("tombstone", before - len(kept))
        if self._only_keys:
            only = self._only_keys
            before = len(kept)
            kept = [r for r in kept if r.topic not in only or r.key in only[r.topic]]
            self._count_skipped("other key", before - len(kept))
        if self._latest_only:
            latest = self._latest_only
            newest = {(r.topic, r.key): i for i, r in enumerate(kept) if r.topic in latest}
            wanted = [
                r
                for i, r in enumerate(kept)
                if r.topic not in latest or newest[r.topic, r.key] == i
            ]
            self._count_skipped("superseded", len(kept) - len(wanted))
            kept = wanted
        if self._first:  # a stable sort: each partition's records stay in order
            kept.sort(key=lambda r: r.topic not in self._first)
        return kept

    def _above_floors(self, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        kept: list[ConsumerRecord] = []
        behind: set[TopicPartition] = set()
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            if record.offset >= self._floors.get(tp, 0):
                kept.append(record)
            else:
                behind.add(tp)
        for tp in behind:  # the client's own reset won: jump over the rest of the backlog
            self._consumer.seek(tp, self._floors[tp])
        return kept

    def _count_skipped(self, reason: str, count: int) -> None:
        if count:
            metrics.child(metrics.EVENTS_SKIPPED, self.service, reason).inc(count)

    async def commit(self, offsets: dict[object, int]) -> None:
        """Commit offsets; after a rebalance the batch is redelivered instead."""
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError):
            log.warning("offsets not committed after a rebalance; the batch will be redelivered")

    def assignment(self) -> set[TopicPartition]:
        """Return the partitions this member holds."""
        return set(self._consumer.assignment())

    def record_lag(self, batch: Batch) -> None:
        """Publish each partition's lag behind its high watermark."""
        for tp, part in batch.items():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                lag = max(0, highwater - part[-1].offset - 1)
                metrics.child(metrics.CONSUMER_LAG, self.service, tp.topic, str(tp.partition)).set(
                    lag
                )


def next_offsets(batch: Batch) -> dict[object, int]:
    """Return the offset to resume from per partition: a partition's records come in order."""
    return {tp: part[-1].offset + 1 for tp, part in batch.items()}


async def assign_all(
    consumer: AIOKafkaConsumer, bootstrap: str, topic: str
) -> dict[TopicPartition, int]:
    """Assign every partition of `topic` to `consumer` and return the end offset of each."""
    probe = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await probe.start()  # a subscribed consumer without a group loads the topic's metadata
    try:
        partitions = [TopicPartition(topic, p) for p in probe.partitions_for_topic(topic) or ()]
    finally:
        await probe.stop()
    if not partitions:
        return {}
    consumer.assign(partitions)
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    return ends


async def drain(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], limit: int
) -> AsyncIterator[list[ConsumerRecord]]:
    """Yield batches of records until every partition reaches its end offset or `limit`."""
    taken = 0
    while taken < limit:
        pending = [tp for tp, end in ends.items() if await consumer.position(tp) < end]
        if not pending:
            return
        batch = await consumer.getmany(*pending, timeout_ms=500, max_records=limit - taken)
        records = [record for part in batch.values() for record in part]
        taken += len(records)
        yield records


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Checkpoint before partitions move; reload the recent handled ids when they arrive."""

    def __init__(
        self,
        on_revoked: Callable[[], Awaitable[None]],
        on_assigned: Callable[[], Awaitable[None]],
    ) -> None:
        self._on_revoked = on_revoked
        self._on_assigned = on_assigned

    async def on_partitions_revoked(self, revoked: object) -> None:
        await self._on_revoked()

    async def on_partitions_assigned(self, assigned: object) -> None:
        await self._on_assigned()
