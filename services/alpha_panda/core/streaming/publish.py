"""The publisher: the one place in the platform that produces to Kafka.

Handlers' outputs (through the runtime) and event sources (the market feed, the API's control
commands) publish through a `Publisher`; `_emit_event` builds and sends every event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

from alpha_panda.core.events import ENVELOPES, SCHEMA_VERSION, EventEnvelope, encode, partition_key
from alpha_panda.core.ids import derived_event_id, new_event_id
from alpha_panda.core.streaming import metrics, tracing
from alpha_panda.core.streaming.handler import Outgoing
from alpha_panda.core.topics import dlq

log = logging.getLogger(__name__)

Delivery = asyncio.Future[object]
Header = tuple[str, bytes]


@dataclass(frozen=True)
class PublishConfig:
    """Tuning of the producer."""

    linger_ms: int = 0
    max_batch_bytes: int = 1_000_000
    """Per partition and request; under the 1 MiB a Kafka or Redpanda broker accepts by default.
    A full-mode frame of 3,000 ticks is ~2.4 MB: smaller batches made the feed wait for acks."""
    max_unsent: int = 20_000
    """Events held in open batches before they are handed to the producer regardless."""


def producer(bootstrap: str, client_id: str, config: PublishConfig) -> AIOKafkaProducer:
    """Return an idempotent producer whose sends are durable on every in-sync replica."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=config.linger_ms,
        max_batch_size=config.max_batch_bytes,
        client_id=client_id,
    )


class Publisher:
    """Build envelopes and send them in per-partition batches.

    Events are appended to open batches by `_emit_event` and handed to the producer by
    `send()`; each hand-over yields a delivery future that completes when the broker has
    acknowledged it. Whoever owns the durability decision takes those futures: the runtime's
    checkpoint (before it commits the offsets that caused them), or a source through `flush()`.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        source: str,
        namespace: str,
        emitter: str | None = None,
        config: PublishConfig | None = None,
    ) -> None:
        self.source = source
        """The service named as every envelope's source."""
        self.emitter = emitter or source
        """Who emits (a consumer group): derived ids include it, so emitters never share one."""
        self.namespace = namespace
        self.config = config or PublishConfig()
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._batches: dict[tuple[str, int], BatchBuilder] = {}
        self._deliveries: list[Delivery] = []
        self._unsent = 0
        self._emitted: Counter[str] = Counter()
        self._traced = False
        self._partitions: dict[str, list[int]] = {}
        self._partition_of: dict[tuple[str, bytes], int] = {}

    async def start(self) -> None:
        """Connect the producer."""
        self._producer = producer(self._bootstrap, self.source, self.config)
        await self._producer.start()
        self._traced = tracing.recording()  # a tracer provider is installed once, at startup

    async def close(self) -> None:
        """Deliver what was emitted, then disconnect."""
        if self._producer is not None:
            await self.flush()
            await self._producer.stop()
            self._producer = None

    async def publish(
        self, items: Sequence[Outgoing], *, cause: EventEnvelope | None = None
    ) -> list[EventEnvelope]:
        """Emit `items` in reaction to `cause` (None for a source's own events)."""
        return [await self._emit_event(item, cause=cause, index=i) for i, item in enumerate(items)]

    async def _emit_event(
        self, item: Outgoing, *, cause: EventEnvelope | None = None, index: int = 0
    ) -> EventEnvelope:
        """Build and queue one event: the single emission point of the platform.

        Causation and correlation come from `cause`; the id derives from the cause's id, this
        emitter and `index`, so re-handling the same event re-emits the same ids, and two
        emitters reacting to one event never collide. The key is `partition_key` of the payload.
        """
        assert self._producer is not None, "start() the publisher first"
        carrier = self._trace_carrier(cause)
        event_id = derived_event_id(cause.id, index, self.emitter) if cause else new_event_id()
        key = partition_key(item.data)
        envelope = ENVELOPES[item.type](
            id=event_id,
            type=item.type,
            source=self.source,
            namespace=item.namespace or self.namespace,
            key=key,
            correlation_id=cause.correlation_id if cause else event_id,  # a chain's first event
            causation_id=cause.id if cause else None,
            trace=carrier,
            data=item.data,
            schema_version=SCHEMA_VERSION,
            timestamp=datetime.now(UTC),
        )
        await self._append(item.topic, key.encode(), encode(envelope), tracing.to_headers(carrier))
        self._emitted[item.topic] += 1
        return envelope

    def _trace_carrier(self, cause: EventEnvelope | None) -> dict[str, str]:
        """Return the trace context to send on: the current span's when spans are recorded,
        else the one the cause came with (a source without a tracer sends none)."""
        if self._traced:
            return tracing.inject()
        return dict(cause.trace) if cause else {}

    async def _append(self, topic: str, key: bytes, value: bytes, headers: list[Header]) -> None:
        assert self._producer is not None
        target = (topic, await self._partition(topic, key))
        batch = self._batches.get(target)
        if batch is None:
            batch = self._batches[target] = self._producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
            await self._dispatch(target)  # the batch is full: hand it over, start another
            batch = self._batches[target] = self._producer.create_batch()
            batch.append(key=key, value=value, timestamp=None, headers=headers)
        self._unsent += 1
        if self._unsent >= self.config.max_unsent:
            await self.send()  # bounds memory when a source emits without rounds

    async def send(self) -> None:
        """Hand every open batch to the producer; its delivery futures wait to be taken."""
        for target in list(self._batches):
            await self._dispatch(target)
        self._unsent = 0
        emitted, self._emitted = self._emitted, Counter()
        for topic, count in emitted.items():
            metrics.child(metrics.EVENTS_EMITTED, self.source, topic).inc(count)

    def take_deliveries(self) -> list[Delivery]:
        """Return the deliveries handed over so far and forget them: the caller awaits them."""
        deliveries, self._deliveries = self._deliveries, []
        return deliveries

    async def flush(self) -> None:
        """Send what was emitted and wait until all in-sync replicas acknowledged it."""
        await self.send()
        deliveries = self.take_deliveries()
        if deliveries:
            await asyncio.gather(*deliveries)

    async def send_overlapped(self) -> None:
        """Send what was emitted, then wait for what the previous call sent.

        For sources: one round stays in flight, so emitting the next round overlaps the
        broker's acknowledgement of this one instead of waiting for it.
        """
        earlier = self.take_deliveries()
        await self.send()
        if earlier:
            await asyncio.gather(*earlier)

    async def _dispatch(self, target: tuple[str, int]) -> None:
        assert self._producer is not None
        batch = self._batches.pop(target)
        topic, partition = target
        self._deliveries.append(await self._producer.send_batch(batch, topic, partition=partition))

    async def _partition(self, topic: str, key: bytes) -> int:
        """Return the partition of a key as Kafka's default partitioner picks it (cached).

        Batches are built per partition here, so that a whole batch goes out in one request
        instead of one future per record: it halves the cost of a published event.
        """
        cached = self._partition_of.get((topic, key))
        if cached is None:
            assert self._producer is not None
            partitions = self._partitions.get(topic)
            if partitions is None:
                partitions = self._partitions[topic] = sorted(
                    await self._producer.partitions_for(topic)
                )
            cached = self._partition_of[(topic, key)] = DefaultPartitioner()(
                key, partitions, partitions
            )
        return cached

    async def send_record(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Sequence[Header]
    ) -> None:
        """Send one record as it is (a dead letter, a replayed one, a tombstone) and wait until
        durable."""
        assert self._producer is not None, "start() the publisher first"
        await self._producer.send_and_wait(topic, value=value, key=key, headers=list(headers))

    async def dead_letter(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Sequence[Header]
    ) -> None:
        """Publish a failed record to the `.dlq` companion of `topic`, durably."""
        await self.send_record(dlq(topic), key, value, headers)
