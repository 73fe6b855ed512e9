"""StreamProcessor: consume, handle, emit, record, commit — the one path to the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import trace
from pydantic import BaseModel

from alpha_panda.core.events import (
    ENVELOPES,
    SCHEMA_VERSION,
    EventDecodeError,
    EventEnvelope,
    EventType,
    decode,
    encode,
)
from alpha_panda.core.ids import derived_event_id, new_event_id
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import metrics, tracing
from alpha_panda.core.streaming.dlq import DeadLetter, send_dead_letter
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter
from alpha_panda.core.streaming.retry import Backoff, FatalError, is_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """An event a handler asks to publish; the processor wraps it in an envelope."""

    topic: str
    type: EventType
    data: BaseModel
    key: str
    namespace: str | None = None


@dataclass(frozen=True)
class StreamProcessorConfig:
    """Tuning of the consume-handle-emit loop."""

    max_batch: int = 500
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    fetch_max_wait_ms: int = 5
    linger_ms: int = 0
    max_batch_bytes: int = 1_000_000
    """Per partition and request; under the 1 MiB a Kafka or Redpanda broker accepts by default.
    A full-mode frame of 3,000 ticks is ~2.4 MB: smaller batches made the feed wait for acks."""
    max_unflushed: int = 20_000
    checkpoint_interval_ms: int = 100
    """How often handled ids, service state and offsets are made durable. Emitted events are
    sent after every batch regardless, so this bounds redelivery after a crash, not latency."""


class StreamProcessor:
    """Base of every service: the only code that publishes events.

    A batch is handled in order and the events it emits are sent (acks=all) when it ends; their
    acknowledgements are awaited while the next batches are handled. Every
    `checkpoint_interval_ms` a checkpoint waits for those acknowledgements, records the ids
    handled since the last checkpoint with the service's state in one PostgreSQL transaction,
    and only then commits their offsets; it too runs while the next batches are handled. Emitted ids
    derive from the id of the event being handled, so a redelivered batch re-emits the same ids
    and every consumer deduplicates them.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        input_topics: Sequence[str] = (),
        latest_only: Sequence[str] = (),
        only_keys: Mapping[str, Collection[str]] | None = None,
        ledger: ProcessedLedger | None = None,
        config: StreamProcessorConfig | None = None,
    ) -> None:
        """Consume `input_topics`, skipping undecoded (counted, still committed) the records a
        service has no use for: of `latest_only` topics (latest-value streams such as ticks, for
        a service that needs only the last price) those a newer record with the same key in the
        batch supersedes, and of `only_keys` topics those with other keys."""
        if input_topics and ledger is None:
            raise ValueError("a consuming processor needs a ProcessedLedger")
        self.settings = settings
        self.service_name = settings.service_name
        self.namespace = settings.namespace.value
        self.input_topics = list(input_topics)
        self.latest_only = frozenset(latest_only)
        self.only_keys = {
            topic: frozenset(key.encode() for key in keys)
            for topic, keys in (only_keys or {}).items()
        }
        self.config = config or StreamProcessorConfig()
        self._ledger = ledger
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._pending: list[asyncio.Future[object]] = []
        self._batches: dict[tuple[str, int], BatchBuilder] = {}
        self._checkpointing: asyncio.Task[None] | None = None
        self._checkpointed_at = time.monotonic()
        self._pending_ids: list[uuid.UUID] = []
        self._pending_offsets: dict[TopicPartition, int] = {}
        self._unrecorded: set[uuid.UUID] = set()
        self._batch_lock = asyncio.Lock()
        self._unflushed = 0
        self._emitted: Counter[str] = Counter()
        self._traced = False
        self._partitions: dict[str, list[int]] = {}
        self._partition_of: dict[tuple[str, bytes], int] = {}
        self._stopping = asyncio.Event()
        self.failure: str | None = None
        """Why the processor halted on a `FatalError`; None while it is healthy."""

    # -- to be implemented by services ---------------------------------------------------------
    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        """Return the events to publish in reaction to `event`; raise to retry or dead-letter."""
        raise NotImplementedError

    def deduplicates(self, event: EventEnvelope) -> bool:
        """Tell whether `event` must be handled at most once (its id recorded in the ledger).

        Services override this to exempt idempotent high-volume events such as ticks.
        """
        return True

    def state_writer(self) -> StateWriter | None:
        """Return a writer that persists the service's state with a checkpoint's ids, if any.

        Called between batches; the writer must carry a snapshot taken now, since it runs while
        later batches are handled.
        """
        return None

    async def after_batch(self) -> None:
        """Run after a checkpoint's state is durable and before its offsets commit (caches)."""

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect the producer and, for consuming services, join the consumer group."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.config.linger_ms,
            max_batch_size=self.config.max_batch_bytes,
            client_id=self.service_name,
        )
        await self._producer.start()
        self._traced = tracing.recording()  # a tracer provider is installed once, at startup
        if self.input_topics:
            self._consumer = AIOKafkaConsumer(
                bootstrap_servers=self.settings.kafka_bootstrap,
                group_id=self.settings.consumer_group,
                client_id=self.service_name,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=self.config.fetch_max_wait_ms,
                max_poll_records=self.config.max_batch,
            )
            assert self._ledger is not None
            listener = _Rebalance(self.checkpoint, self._ledger)
            self._consumer.subscribe(self.input_topics, listener=listener)
            await self._consumer.start()

    async def run(self) -> None:
        """Consume until `stop()`; what was handled is checkpointed before leaving."""
        if self._consumer is None:
            raise RuntimeError("run() needs input topics and start()")
        interval = self.config.checkpoint_interval_ms / 1000
        poll_ms = min(100, self.config.checkpoint_interval_ms)
        while not self._stopping.is_set():
            batch = await self._consumer.getmany(
                timeout_ms=poll_ms, max_records=self.config.max_batch
            )
            async with self._batch_lock:
                if batch:
                    try:
                        await self._process_batch(batch)
                    except FatalError as error:  # what is not checkpointed is redelivered later
                        self.failure = str(error)
                        log.error("%s halted: %s", self.service_name, error)
                        self.stop()
                        break
                    self._update_lag(batch)
                if time.monotonic() - self._checkpointed_at >= interval and self._checkpoint_idle():
                    await self._start_checkpoint()
        if self.failure is None:
            await self.checkpoint()
        await self._finish_checkpoint()

    def stop(self) -> None:
        """Ask `run()` to stop taking new batches."""
        self._stopping.set()

    async def close(self) -> None:
        """Flush what was emitted, finish the checkpoint, leave the group and disconnect."""
        await self.flush()
        await self._finish_checkpoint()
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    # -- the batch -----------------------------------------------------------------------------
    async def _process_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        assert self._ledger is not None and self._consumer is not None
        records = [record for part in batch.values() for record in part]
        for topic, count in Counter(record.topic for record in records).items():
            metrics.child(metrics.EVENTS_CONSUMED, self.service_name, topic).inc(count)
        decoded: list[tuple[ConsumerRecord, EventEnvelope]] = []
        for record in self._wanted(records):
            try:
                decoded.append((record, decode(record.value)))
            except EventDecodeError as error:
                await self._dead_letter(record, error, attempts=1)
        once = [event for _, event in decoded if self.deduplicates(event)]
        already = await self._ledger.seen(event.id for event in once)
        for record, event in decoded:
            exactly_once = self.deduplicates(event)
            if exactly_once and (event.id in already or event.id in self._unrecorded):
                metrics.child(metrics.DUPLICATES_SKIPPED, self.service_name).inc()
                continue
            if exactly_once:
                already.add(event.id)
            if await self._handle_with_retry(record, event) and exactly_once:
                self._pending_ids.append(event.id)
                self._unrecorded.add(event.id)
                self._ledger.remember((event.id,))
        await self._send()  # delivered while the next batch is handled; a checkpoint awaits it
        for tp, part in batch.items():  # a partition's records come in offset order
            self._pending_offsets[tp] = part[-1].offset + 1

    def _wanted(self, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        """Return the records worth decoding (see `__init__`), counting the others."""
        kept = records
        if self.only_keys:
            only = self.only_keys
            kept = [r for r in kept if r.topic not in only or r.key in only[r.topic]]
            self._count_skipped("other key", len(records) - len(kept))
        if self.latest_only:
            latest = self.latest_only
            newest = {(r.topic, r.key): i for i, r in enumerate(kept) if r.topic in latest}
            wanted = [
                r
                for i, r in enumerate(kept)
                if r.topic not in latest or newest[r.topic, r.key] == i
            ]
            self._count_skipped("superseded", len(kept) - len(wanted))
            kept = wanted
        return kept

    def _count_skipped(self, reason: str, count: int) -> None:
        if count:
            metrics.child(metrics.EVENTS_SKIPPED, self.service_name, reason).inc(count)

    # -- checkpoints ---------------------------------------------------------------------------
    async def checkpoint(self) -> None:
        """Make everything handled so far durable and commit its offsets; return when done."""
        async with self._batch_lock:
            await self._start_checkpoint()
            await self._finish_checkpoint()

    async def _start_checkpoint(self) -> None:
        """Start recording the ids and state of the batches handled since the last checkpoint.

        The state is captured now, between batches, so the transaction may run while later
        batches are handled; checkpoints run one at a time, so offsets commit in order.
        """
        await self._finish_checkpoint()
        self._checkpointed_at = time.monotonic()
        if not self._pending_offsets:
            return
        deliveries, self._pending = self._pending, []
        ids, self._pending_ids = self._pending_ids, []
        offsets, self._pending_offsets = self._pending_offsets, {}
        writer = self.state_writer()
        self._checkpointing = asyncio.create_task(
            self._checkpoint(deliveries, ids, writer, offsets)
        )

    async def _checkpoint(
        self,
        deliveries: list[asyncio.Future[object]],
        ids: list[uuid.UUID],
        writer: StateWriter | None,
        offsets: dict[TopicPartition, int],
    ) -> None:
        assert self._ledger is not None
        await asyncio.gather(*deliveries)  # what the handled events emitted is durable first
        await self._ledger.record(ids, writer)
        self._unrecorded.difference_update(ids)
        await self.after_batch()
        await self._commit(offsets)

    def _checkpoint_idle(self) -> bool:
        """Tell whether no checkpoint is running: a slow one delays the next, not the batches."""
        return self._checkpointing is None or self._checkpointing.done()

    async def _finish_checkpoint(self) -> None:
        checkpointing, self._checkpointing = self._checkpointing, None
        if checkpointing is not None:
            await checkpointing

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError):
            log.warning("offsets not committed after a rebalance; the batch will be redelivered")

    async def _handle_with_retry(self, record: ConsumerRecord, event: EventEnvelope) -> bool:
        """Handle one event; return False when it went to the dead-letter topic instead."""
        for attempt in range(1, self.config.max_attempts + 1):
            started = time.perf_counter()
            with self._span(record, event):
                try:
                    outgoing = await self.handle(event)
                except FatalError:
                    raise
                except Exception as error:  # the handler's failure is classified, never lost
                    if is_transient(error) and attempt < self.config.max_attempts:
                        metrics.child(metrics.RETRIES, self.service_name).inc()
                        await asyncio.sleep(self.config.backoff.delay(attempt))
                        continue
                    await self._dead_letter(record, error, attempt)
                    return False
                finally:
                    metrics.child(metrics.HANDLER_SECONDS, self.service_name).observe(
                        time.perf_counter() - started
                    )
                for index, item in enumerate(outgoing):
                    await self._emit_event(item, cause=event, index=index)
                return True
        raise AssertionError("unreachable: the last attempt returns")

    def _span(
        self, record: ConsumerRecord, event: EventEnvelope
    ) -> contextlib.AbstractContextManager[object]:
        if not self._traced:
            return contextlib.nullcontext()
        return tracing.tracer.start_as_current_span(
            f"{self.service_name} {event.type.value}",
            context=tracing.extract(record.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.destination.name": record.topic, "event.id": str(event.id)},
        )

    async def _dead_letter(
        self, record: ConsumerRecord, error: BaseException, attempts: int
    ) -> None:
        assert self._producer is not None
        letter = DeadLetter.from_failure(record, error, attempts, self.settings.consumer_group)
        log.error(
            "dead-lettered %s[%d]@%d after %d attempt(s): %s: %s",
            record.topic,
            record.partition,
            record.offset,
            attempts,
            letter.error_class,
            letter.error_message,
        )
        await send_dead_letter(self._producer, letter)
        metrics.child(metrics.DEAD_LETTERS, self.service_name, record.topic).inc()

    # -- publishing ----------------------------------------------------------------------------
    async def _emit_event(
        self, item: Outgoing, *, cause: EventEnvelope | None = None, index: int = 0
    ) -> EventEnvelope:
        """Publish one event: the only place in the platform that produces to Kafka.

        Causation and correlation come from `cause`; the event id derives from the cause's id
        and `index`, so re-handling the same event re-emits the same ids. Delivery is awaited
        by `flush()` or by the checkpoint that records the cause and commits its offset.
        """
        assert self._producer is not None, "start() the processor first"
        trace_carrier = self._trace_carrier(cause)
        event_id = derived_event_id(cause.id, index) if cause else new_event_id()
        envelope = ENVELOPES[item.type](
            id=event_id,
            type=item.type,
            source=self.service_name,
            namespace=item.namespace or self.namespace,
            key=item.key,
            correlation_id=cause.correlation_id if cause else event_id,  # a chain's first event
            causation_id=cause.id if cause else None,
            trace=trace_carrier,
            data=item.data,
            schema_version=SCHEMA_VERSION,
            timestamp=datetime.now(UTC),
        )
        key = item.key.encode()
        headers = tracing.to_headers(trace_carrier)
        target = (item.topic, await self._partition(item.topic, key))
        batch = self._batches.get(target)
        if batch is None:
            batch = self._batches[target] = self._producer.create_batch()
        if batch.append(key=key, value=encode(envelope), timestamp=None, headers=headers) is None:
            await self._dispatch(target)  # the batch is full: hand it over, start another
            batch = self._batches[target] = self._producer.create_batch()
            batch.append(key=key, value=encode(envelope), timestamp=None, headers=headers)
        self._unflushed += 1
        if self._unflushed >= self.config.max_unflushed:
            await self.flush()  # bounds memory when a source emits without batches
        self._emitted[item.topic] += 1
        return envelope

    def _trace_carrier(self, cause: EventEnvelope | None) -> dict[str, str]:
        """Return the trace context to send on: the current span's when spans are recorded,
        else the one the cause came with (a source without a tracer sends none)."""
        if self._traced:
            return tracing.inject()
        return dict(cause.trace) if cause else {}

    async def flush(self) -> None:
        """Send what was emitted and wait until all in-sync replicas acknowledged it."""
        await self._send()
        deliveries, self._pending = self._pending, []
        if deliveries:
            await asyncio.gather(*deliveries)

    async def send(self) -> None:
        """Hand what was emitted to the producer, then wait for what the previous call sent.

        For sources: one round stays in flight, so emitting the next round overlaps the
        broker's acknowledgement of this one instead of waiting for it.
        """
        earlier, self._pending = self._pending, []
        await self._send()
        if earlier:
            await asyncio.gather(*earlier)

    async def _send(self) -> None:
        """Hand every open batch to the producer; `flush()` or a checkpoint awaits delivery."""
        for target in list(self._batches):
            await self._dispatch(target)
        self._unflushed = 0
        emitted, self._emitted = self._emitted, Counter()
        for topic, count in emitted.items():
            metrics.child(metrics.EVENTS_EMITTED, self.service_name, topic).inc(count)

    async def _dispatch(self, target: tuple[str, int]) -> None:
        assert self._producer is not None
        batch = self._batches.pop(target)
        topic, partition = target
        self._pending.append(await self._producer.send_batch(batch, topic, partition=partition))

    async def _partition(self, topic: str, key: bytes) -> int:
        """Return the partition of a key as Kafka's default partitioner picks it (cached)."""
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

    def _update_lag(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        assert self._consumer is not None
        for tp, part in batch.items():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                lag = max(0, highwater - part[-1].offset - 1)
                metrics.child(
                    metrics.CONSUMER_LAG, self.service_name, tp.topic, str(tp.partition)
                ).set(lag)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Checkpoint before partitions move; reload the ledger's recent ids when they arrive."""

    def __init__(self, checkpoint: Callable[[], Awaitable[None]], ledger: ProcessedLedger) -> None:
        self._checkpoint = checkpoint
        self._ledger = ledger

    async def on_partitions_revoked(self, revoked: object) -> None:
        await self._checkpoint()

    async def on_partitions_assigned(self, assigned: object) -> None:
        await self._ledger.load_recent()
