"""Small services that exercise the streaming core in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.settings import Settings, load_settings
from alpha_panda.core.streaming import (
    NOTHING,
    Outgoing,
    Outputs,
    Publisher,
    Runtime,
    RuntimeConfig,
    Snapshot,
    Subscription,
)
from alpha_panda.core.streaming.checkpoint import CheckpointStore
from alpha_panda.core.streaming.handler import SideWork
from alpha_panda.core.streaming.retry import Backoff
from alpha_panda.domain.market import Tick

FAST_RETRY = RuntimeConfig(max_attempts=3, backoff=Backoff(initial=0.001, maximum=0.01))


def settings_for(service: str, prefix: str, kafka: str, postgres: str, redis: str) -> Settings:
    return load_settings(
        service_name=service,
        namespace="paper",
        group_prefix=f"t{prefix}",
        topic_prefix=f"t{prefix}.",
        kafka_bootstrap=kafka,
        postgres_dsn=postgres,
        redis_url=redis,
    )


def tick(token: int, sequence: int) -> Tick:
    return Tick(
        instrument_token=token,
        exchange_timestamp=datetime.now(UTC),
        last_price=Decimal("100.05"),
        volume=sequence,
    )


class Source:
    """Publishes events without consuming, as the market feed or the API do."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.publisher = Publisher(
            settings.kafka_bootstrap,
            source=settings.service_name,
            namespace=settings.namespace.value,
        )

    async def start(self) -> None:
        await self.publisher.start()

    def stop(self) -> None:
        pass

    async def close(self) -> None:
        await self.publisher.close()

    async def publish(self, topic: str, ticks: Sequence[Tick]) -> list[EventEnvelope]:
        return await self.send([Outgoing(topic, EventType.MARKET_TICK, t) for t in ticks])

    async def send(self, events: Sequence[Outgoing]) -> list[EventEnvelope]:
        """Publish events and return once Kafka acknowledged them."""
        sent = await self.publisher.publish(events)
        await self.publisher.flush()
        return sent


class Forwarder:
    """A handler that records what it handles and forwards it to `output` (when given)."""

    def __init__(
        self,
        inputs: Sequence[str],
        output: str | None,
        fail: Callable[[EventEnvelope], None] | None,
        latest_only: Sequence[str],
        only_keys: dict[str, list[str]] | None,
        recent_only: dict[str, float] | None = None,
    ) -> None:
        self.subscription = Subscription(
            topics=inputs,
            latest_only=latest_only,
            only_keys=only_keys or {},
            recent_only=recent_only or {},
        )
        self.output = output
        self.fail = fail
        self.handled: list[EventEnvelope] = []
        self.attempts = 0

    def deduplicates(self, event: EventEnvelope) -> bool:
        return True

    def snapshot(self) -> Snapshot | None:
        return None

    def restore(self, snapshot: Snapshot | None) -> None:
        pass

    async def handle(self, event: EventEnvelope) -> Outputs:
        self.attempts += 1
        if self.fail is not None:
            self.fail(event)
        self.handled.append(event)
        if self.output is None:
            return NOTHING
        return Outputs([Outgoing(self.output, event.type, event.data)])


class Relay:
    """A `Forwarder` run by the real runtime, with the runtime's lifecycle."""

    def __init__(
        self,
        settings: Settings,
        store: CheckpointStore,
        *,
        inputs: Sequence[str],
        output: str | None = None,
        fail: Callable[[EventEnvelope], None] | None = None,
        config: RuntimeConfig = FAST_RETRY,
        latest_only: Sequence[str] = (),
        only_keys: dict[str, list[str]] | None = None,
        recent_only: dict[str, float] | None = None,
        side_work: Sequence[tuple[float, SideWork]] = (),
    ) -> None:
        self.settings = settings
        self.forwarder = Forwarder(inputs, output, fail, latest_only, only_keys, recent_only)
        self.runtime = Runtime(self.forwarder, settings, store, config=config, side_work=side_work)

    @property
    def handled(self) -> list[EventEnvelope]:
        return self.forwarder.handled

    @property
    def attempts(self) -> int:
        return self.forwarder.attempts

    @property
    def failure(self) -> str | None:
        return self.runtime.failure

    async def start(self) -> None:
        await self.runtime.start()

    async def run(self) -> None:
        await self.runtime.run()

    def stop(self) -> None:
        self.runtime.stop()

    async def close(self) -> None:
        await self.runtime.close()

    async def checkpoint(self) -> None:
        await self.runtime.checkpoint()

    def assigned_partitions(self) -> set[tuple[str, int]]:
        return {(tp.topic, tp.partition) for tp in self.runtime.consumer.assignment()}


@contextlib.asynccontextmanager
async def running(*services: Source | Relay) -> AsyncIterator[None]:
    """Start services, run the consuming ones, then stop and close them all."""
    for service in services:
        await service.start()
    tasks = [asyncio.create_task(s.run()) for s in services if isinstance(s, Relay)]
    try:
        yield
    finally:
        for service in services:
            service.stop()
        await asyncio.gather(*tasks)
        for service in services:
            await service.close()


async def ledger_pool(dsn: str) -> asyncpg.Pool:
    return await connect(dsn, max_size=10)


def checkpoints(pool: asyncpg.Pool, settings: Settings) -> PostgresCheckpoints:
    """Return the checkpoint store of a test service's consumer group."""
    return PostgresCheckpoints(pool, settings.consumer_group)
