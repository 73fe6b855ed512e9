"""Small processors that exercise the streaming core in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.settings import Settings, load_settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor, StreamProcessorConfig
from alpha_panda.core.streaming.ledger import ProcessedLedger
from alpha_panda.core.streaming.retry import Backoff
from alpha_panda.domain.market import Tick

FAST_RETRY = StreamProcessorConfig(max_attempts=3, backoff=Backoff(initial=0.001, maximum=0.01))


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


class Source(StreamProcessor):
    """Publishes ticks without consuming, as the market feed does."""

    async def publish(self, topic: str, ticks: Sequence[Tick]) -> list[EventEnvelope]:
        sent = [
            await self._emit_event(
                Outgoing(topic, EventType.MARKET_TICK, t, str(t.instrument_token))
            )
            for t in ticks
        ]
        await self.flush()
        return sent


class Relay(StreamProcessor):
    """Records what it handles and forwards it to `output` (when given)."""

    def __init__(
        self,
        settings: Settings,
        ledger: ProcessedLedger,
        *,
        inputs: Sequence[str],
        output: str | None = None,
        fail: Callable[[EventEnvelope], None] | None = None,
        config: StreamProcessorConfig = FAST_RETRY,
        latest_only: Sequence[str] = (),
        only_keys: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(
            settings,
            input_topics=inputs,
            latest_only=latest_only,
            only_keys=only_keys,
            ledger=ledger,
            config=config,
        )
        self.output = output
        self.fail = fail
        self.handled: list[EventEnvelope] = []
        self.attempts = 0

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        self.attempts += 1
        if self.fail is not None:
            self.fail(event)
        self.handled.append(event)
        if self.output is None:
            return []
        return [Outgoing(self.output, event.type, event.data, event.key)]

    def assigned_partitions(self) -> set[tuple[str, int]]:
        assert self._consumer is not None
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}


@contextlib.asynccontextmanager
async def running(*processors: StreamProcessor) -> AsyncIterator[None]:
    """Start processors, run the consuming ones, then stop and close them all."""
    for processor in processors:
        await processor.start()
    tasks = [asyncio.create_task(p.run()) for p in processors if p.input_topics]
    try:
        yield
    finally:
        for processor in processors:
            processor.stop()
        await asyncio.gather(*tasks)
        for processor in processors:
            await processor.close()


async def ledger_pool(dsn: str) -> asyncpg.Pool:
    return await connect(dsn, max_size=10)
