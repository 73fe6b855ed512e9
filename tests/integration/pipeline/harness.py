"""Run the pipeline services in-process against the real infrastructure, and watch them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from alpha_panda.app.wiring import Wiring
from alpha_panda.core.events import EventEnvelope
from alpha_panda.core.settings import Settings, load_settings
from alpha_panda.core.streaming import Runtime
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.market import Tick
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import IST
from tests.conftest import eventually

PIPELINE = ("strategy-runner", "risk-manager", "trading-engine", "portfolio-manager")
SESSION_START = datetime(2026, 11, 23, 10, 0, tzinfo=IST)  # a Monday, market open


def tick(token: int, second: int, price: str) -> Tick:
    return Tick(
        instrument_token=token,
        exchange_timestamp=SESSION_START + timedelta(seconds=second),
        last_price=Decimal(price),
    )


@dataclass
class Pipeline:
    """The four services of one namespace, each recording the events it handled."""

    infra: dict[str, str]
    namespace: str
    prefix: str
    strategy_id: str
    overrides: dict[str, str] = field(default_factory=dict)
    """Further settings, such as the Kite session of the zerodha namespace."""
    definitions: list[StrategyConfig] = field(default_factory=list)
    """Strategies defined on the namespace's definitions stream before the services start."""
    services: dict[str, Runtime] = field(default_factory=dict)
    handled: dict[str, list[EventEnvelope]] = field(default_factory=dict)
    wirings: list[Wiring] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def settings(self, service: str) -> Settings:
        return load_settings(
            service_name=f"{service}.{self.strategy_id}"
            if service == "strategy-runner"
            else service,
            namespace=self.namespace,
            group_prefix=f"t{self.prefix}.{self.namespace}",  # as the operator sets it
            topic_prefix=f"t{self.prefix}.",
            kafka_bootstrap=self.infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
            postgres_dsn=self.infra["ALPHA_PANDA_POSTGRES_DSN"],
            redis_url=self.infra["ALPHA_PANDA_REDIS_URL"],
            strategy_id=self.strategy_id,
            **self.overrides,
        )

    async def start(self) -> None:
        await ensure_topics(
            self.settings("x").kafka_bootstrap, self.settings("x").topics, TopicConfig(partitions=3)
        )
        publisher = DefinitionPublisher.from_settings(self.settings("definitions"))
        await publisher.start()
        for config in self.definitions:
            await publisher.define(config)
        await publisher.close()
        for service in PIPELINE:
            wiring = await Wiring.open(self.settings(service))
            processor = await wiring.build(service)
            assert isinstance(processor, Runtime)
            self.handled.setdefault(service, [])
            _record(processor, self.handled[service])
            await processor.start()
            self.wirings.append(wiring)
            self.services[service] = processor
            self.tasks.append(asyncio.create_task(processor.run()))

    async def stop(self) -> None:
        for processor in self.services.values():
            processor.stop()
        await asyncio.gather(*self.tasks)
        for processor in self.services.values():
            await processor.close()
        for wiring in self.wirings:
            await wiring.close()
        self.services, self.wirings, self.tasks = {}, [], []

    async def checkpoint(self) -> None:
        """Make what every service handled durable (their ledgers and state in PostgreSQL)."""
        for processor in self.services.values():
            await processor.checkpoint()

    def data(self, service: str, kind: type) -> list:
        return [event.data for event in self.handled[service] if isinstance(event.data, kind)]

    async def wait_for(self, service: str, kind: type, count: int, what: str) -> None:
        async def enough() -> bool:
            return len(self.data(service, kind)) >= count

        await eventually(enough, timeout=30, what=what)

    async def wait_all_saw(self, ticks: Sequence[Tick]) -> None:
        """Wait until every service has handled these ticks."""
        for service in PIPELINE:
            await self.wait_for(service, Tick, len(ticks), f"{service} to see {len(ticks)} ticks")


def _record(runtime: Runtime, sink: list[EventEnvelope]) -> None:
    handler = runtime.handler
    handle = handler.handle

    async def recording(event: EventEnvelope):
        result = await handle(event)
        sink.append(event)
        return result

    handler.handle = recording  # type: ignore[method-assign]
