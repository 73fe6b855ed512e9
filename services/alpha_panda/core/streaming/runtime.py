"""The runtime: consume -> dedupe -> handle (retry / dead-letter) -> publish -> checkpoint.

It drives one `Handler`. A batch is handled in order and what it emits is handed to the
producer when the batch ends; the broker acknowledges it while the next batches are handled.
Every `checkpoint_interval_ms` a checkpoint awaits those acknowledgements, saves the handled ids,
the handler's snapshot and its ledger records in one transaction, and only then commits the
offsets. Side work (a periodic poll) runs between batches under the same lock, and its output
goes through the same publisher and the same checkpoints, so nothing is committed before
everything it caused is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import ConsumerRecord
from opentelemetry import trace

from alpha_panda.core.events import EventDecodeError, EventEnvelope, decode
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import metrics, tracing
from alpha_panda.core.streaming.checkpoint import Checkpointer, CheckpointStore
from alpha_panda.core.streaming.consume import Batch, TopicConsumer, next_offsets
from alpha_panda.core.streaming.dead_letters import DeadLetter
from alpha_panda.core.streaming.dedupe import ProcessedIds
from alpha_panda.core.streaming.handler import Handler, Outputs, SideWork
from alpha_panda.core.streaming.publish import PublishConfig, Publisher
from alpha_panda.core.streaming.retry import Backoff, FatalError, is_transient

log = logging.getLogger(__name__)


class NamespaceMismatch(ValueError):
    """An envelope claims another broker namespace than the topic it arrived on."""


@dataclass(frozen=True)
class RuntimeConfig:
    """Tuning of the consume-handle-publish loop."""

    max_batch: int = 500
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    fetch_max_wait_ms: int = 5
    checkpoint_interval_ms: int = 100
    """How often handled ids, state and offsets are made durable. Emitted events are sent
    after every batch regardless, so this bounds redelivery after a crash, not latency."""
    publish: PublishConfig = field(default_factory=PublishConfig)


class Runtime:
    """Run a handler as one member of its service's consumer group."""

    def __init__(
        self,
        handler: Handler,
        settings: Settings,
        store: CheckpointStore,
        *,
        config: RuntimeConfig | None = None,
        after_checkpoint: Callable[[], Awaitable[None]] | None = None,
        side_work: Sequence[tuple[float, SideWork]] = (),
    ) -> None:
        """`after_checkpoint` runs once a checkpoint's transaction is done and before its
        offsets commit (a read cache); `side_work` pairs a period in seconds with work."""
        self.handler = handler
        self.settings = settings
        self.service_name = settings.service_name
        self.config = config or RuntimeConfig()
        self.publisher = Publisher(
            settings.kafka_bootstrap,
            source=settings.service_name,
            emitter=settings.consumer_group,
            namespace=settings.namespace.value,
            config=self.config.publish,
        )
        self.consumer = TopicConsumer(
            settings.kafka_bootstrap,
            group=settings.consumer_group,
            service=settings.service_name,
            subscription=handler.subscription,
            max_batch=self.config.max_batch,
            fetch_max_wait_ms=self.config.fetch_max_wait_ms,
        )
        self._store = store
        self.processed = ProcessedIds(store)
        self._checkpoints = Checkpointer(store, self.consumer.commit, after_checkpoint)
        self._side_work = side_work
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._traced = False
        self.failure: str | None = None
        """Why the runtime halted on a `FatalError`; None while it is healthy."""
        self._unpositioned: Exception | None = None
        self.positioned = asyncio.Event()
        """Set once the group assigned this member its partitions and they are positioned
        (warm-up windows sought): what is published after that reaches the handler."""

    @property
    def waiting(self) -> str | None:
        """What the runtime waits for before it can handle events; None once it can."""
        if self.positioned.is_set():
            return None
        return "waiting for the consumer group to assign and position its partitions"

    async def start(self) -> None:
        """Restore the handler's state, connect the producer and join the consumer group."""
        self.handler.restore(await self._store.load_snapshot())
        await self.publisher.start()
        self._traced = tracing.recording()
        await self.consumer.start(self._on_revoked, self._on_assigned)

    async def run(self) -> None:
        """Consume until `stop()`; what was handled is checkpointed before leaving."""
        side = [asyncio.create_task(self._repeat(every, work)) for every, work in self._side_work]
        interval = self.config.checkpoint_interval_ms / 1000
        poll_ms = min(100, self.config.checkpoint_interval_ms)
        try:
            while not self._stopping.is_set():
                if not self.positioned.is_set():  # records fetched now may predate the seek
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.positioned.wait(), poll_ms / 1000)
                    continue
                if self._unpositioned is not None:  # e.g. Kafka lost while seeking: rebuild
                    raise self._unpositioned
                batch = await self.consumer.fetch(poll_ms)
                async with self._lock:
                    if batch and not await self._guard(self._process_batch(batch)):
                        break
                    if self._checkpoints.due(interval):
                        await self._start_checkpoint()
        finally:
            for task in side:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.failure is None:
            await self.checkpoint()
        await self._checkpoints.finish()

    async def _on_revoked(self) -> None:
        self.positioned.clear()
        await self.checkpoint()

    async def _on_assigned(self) -> None:
        try:
            await self.processed.load_recent()
            await self.consumer.start_recent()
        except Exception as error:  # the client only logs a listener's error: run() raises it
            self._unpositioned = error
        self.positioned.set()

    def stop(self) -> None:
        """Ask `run()` to stop taking new batches."""
        self._stopping.set()

    async def close(self) -> None:
        """Deliver what was emitted, finish the checkpoint, leave the group and disconnect.

        The group is left even when the checkpoint cannot be finished (its database is down):
        a member left behind would keep heartbeating and holding partitions nobody reads.
        """
        try:
            await self._checkpoints.finish()
        finally:
            try:
                await self.publisher.close()
            finally:
                await self.consumer.stop()

    async def checkpoint(self) -> None:
        """Make everything handled so far durable and commit its offsets; return when done."""
        async with self._lock:
            await self._start_checkpoint()
            await self._checkpoints.finish()

    async def _start_checkpoint(self) -> None:
        await self._checkpoints.start(self.publisher.take_deliveries(), self.handler.snapshot())

    async def _guard(self, step: Awaitable[None]) -> bool:
        """Run a step; on a `FatalError` halt (nothing of it is committed) and return False."""
        try:
            await step
        except FatalError as error:  # what is not checkpointed is redelivered after a restart
            self.failure = str(error)
            log.error("%s halted: %s", self.service_name, error)
            self.stop()
            return False
        return True

    async def _repeat(self, every: float, work: SideWork) -> None:
        """Run side work every `every` seconds between batches; a failed round is retried."""
        while not self._stopping.is_set():
            await asyncio.sleep(every)
            async with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    await self._guard(self._side_round(work))
                except Exception as error:  # the next round tries again
                    log.warning("%s: side work failed: %r", self.service_name, error)

    async def _side_round(self, work: SideWork) -> None:
        for outputs in await work():
            await self._publish(outputs, cause=outputs.cause)
            self._checkpoints.handled(None, outputs.records)
        await self.publisher.send()

    async def _process_batch(self, batch: Batch) -> None:
        decoded: list[tuple[ConsumerRecord, EventEnvelope]] = []
        owner_of = self.settings.topics.owner_of
        for record in self.consumer.wanted(batch):
            try:
                event = decode(record.value)
            except EventDecodeError as error:
                await self._dead_letter(record, error, attempts=1)
                continue
            owner = owner_of(record.topic)
            if owner is not None and event.namespace != owner:  # never trade across namespaces
                mismatch = NamespaceMismatch(
                    f"a {event.namespace} event on {owner}'s {record.topic}"
                )
                await self._dead_letter(record, mismatch, attempts=1)
                continue
            decoded.append((record, event))
        handler = self.handler
        once = [event for _, event in decoded if handler.deduplicates(event)]
        already = await self.processed.seen(event.id for event in once)
        unrecorded = self._checkpoints.unrecorded
        for record, event in decoded:
            exactly_once = handler.deduplicates(event)
            if exactly_once and (event.id in already or event.id in unrecorded):
                metrics.child(metrics.DUPLICATES_SKIPPED, self.service_name).inc()
                continue
            if exactly_once:
                already.add(event.id)
            outputs = await self._handle_with_retry(record, event)
            if outputs is None:
                continue  # dead-lettered
            if exactly_once:
                self.processed.remember((event.id,))
            self._checkpoints.handled(event.id if exactly_once else None, outputs.records)
        await self.publisher.send()  # acknowledged while the next batch is handled
        self._checkpoints.reached(next_offsets(batch))
        self.consumer.record_lag(batch)

    async def _handle_with_retry(
        self, record: ConsumerRecord, event: EventEnvelope
    ) -> Outputs | None:
        """Handle one event and publish its outputs; None when it was dead-lettered instead."""
        for attempt in range(1, self.config.max_attempts + 1):
            started = time.perf_counter()
            with self._span(record, event):
                try:
                    outputs = await self.handler.handle(event)
                except FatalError:
                    raise
                except Exception as error:  # the handler's failure is classified, never lost
                    if is_transient(error) and attempt < self.config.max_attempts:
                        metrics.child(metrics.RETRIES, self.service_name).inc()
                        await asyncio.sleep(self.config.backoff.delay(attempt))
                        continue
                    await self._dead_letter(record, error, attempt)
                    return None
                finally:
                    metrics.child(metrics.HANDLER_SECONDS, self.service_name).observe(
                        time.perf_counter() - started
                    )
                await self._publish(outputs, cause=outputs.cause or event)
                return outputs
        raise AssertionError("unreachable: the last attempt returns")

    async def _publish(self, outputs: Outputs, *, cause: EventEnvelope | None) -> None:
        if outputs.events:
            await self.publisher.publish(outputs.events, cause=cause)

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
        await self.publisher.dead_letter(
            letter.topic, letter.key, letter.value, letter.dlq_headers()
        )
        metrics.child(metrics.DEAD_LETTERS, self.service_name, record.topic).inc()
