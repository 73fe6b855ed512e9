"""Shared services of one paper namespace run in-process by the real runtime, and a way to feed
them signals and read their verdicts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.app.wiring import Wiring
from alpha_panda.core.events import EventType
from alpha_panda.core.settings import Settings, load_settings
from alpha_panda.core.streaming import Outgoing, Runtime
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace, Side
from tests.conftest import eventually
from tests.integration.core.processors import Relay, Source, ledger_pool, running

INFY = 408065


class Stack:
    """The shared services of one paper namespace, and a way to talk to them."""

    def __init__(
        self, infra: dict[str, str], postgres_dsn: str, topic_prefix: str, group_prefix: str
    ) -> None:
        self.infra = infra
        self.postgres_dsn = postgres_dsn
        self.topic_prefix = topic_prefix
        self.group_prefix = group_prefix
        self.wirings: list[Wiring] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.runtimes: list[Runtime] = []

    def settings(self, service: str, **overrides: object) -> Settings:
        return load_settings(
            service_name=service,
            namespace="paper",
            group_prefix=self.group_prefix,
            topic_prefix=self.topic_prefix,
            kafka_bootstrap=self.infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
            postgres_dsn=self.postgres_dsn,
            redis_url=self.infra["ALPHA_PANDA_REDIS_URL"],
            **overrides,
        )

    async def start(self, service: str, **overrides: object) -> Runtime:
        wiring = await Wiring.open(self.settings(service, **overrides))
        runtime = await wiring.build(service.split(".")[0])
        assert isinstance(runtime, Runtime)
        await runtime.start()
        self.wirings.append(wiring)
        self.runtimes.append(runtime)
        self.tasks.append(asyncio.create_task(runtime.run()))
        return runtime

    async def stop(self, runtime: Runtime) -> None:
        index = self.runtimes.index(runtime)
        runtime.stop()
        await self.tasks.pop(index)
        await runtime.close()
        await self.wirings.pop(index).close()
        self.runtimes.pop(index)

    async def close(self) -> None:
        for runtime in list(self.runtimes):
            await self.stop(runtime)


def strategy(strategy_id: str, limits: RiskLimits, **fields: object) -> StrategyConfig:
    return StrategyConfig(
        strategy_id=strategy_id,
        namespace=Namespace.PAPER,
        strategy_type="ma_crossover",
        instruments=(INFY,),
        parameters={"fast_window": 2, "slow_window": 3, "quantity": 10, "cooldown_seconds": 0},
        risk_limits=limits,
        **fields,
    )


def limit(quantity: int) -> RiskLimits:
    return RiskLimits(max_position_quantity=quantity, market_hours=None)


class SignalSource(Source):
    """Publishes raw signals as a strategy runner does."""

    async def send_raw(self, strategy_id: str, quantity: int, at: datetime | None = None) -> None:
        """Publish a buy signal stamped `at` (now by default)."""
        signal = Signal(
            strategy_id=strategy_id,
            instrument_token=INFY,
            side=Side.BUY,
            quantity=quantity,
            reference_price=Decimal("1500"),
            generated_at=at or datetime.now(UTC),
        )
        topic = self.settings.topics.signals_raw
        await self.send([Outgoing(topic, EventType.SIGNAL_RAW, signal)])


@pytest.fixture
async def verdicts(stack: Stack, postgres_dsn: str) -> AsyncIterator[Relay]:
    """A reader of the risk manager's verdicts on the module's `stack`."""
    async with reading_verdicts(stack, postgres_dsn) as reader:
        yield reader


@pytest.fixture
async def signals(stack: Stack) -> AsyncIterator[SignalSource]:
    """Raw signals into the module's `stack`, as its strategy runners send them."""
    source = SignalSource(stack.settings("strategy-runner"))
    await source.start()
    yield source
    await source.close()


@contextlib.asynccontextmanager
async def reading_verdicts(stack: Stack, postgres_dsn: str) -> AsyncIterator[Relay]:
    """Run a reader of the risk manager's verdicts (validated and rejected signals)."""
    pool = await ledger_pool(postgres_dsn)
    settings = stack.settings("verdict-reader")
    reader = Relay(
        settings,
        PostgresCheckpoints(pool, settings.consumer_group),
        inputs=[settings.topics.signals_validated, settings.topics.signals_rejected],
    )
    try:
        async with running(reader):
            yield reader
    finally:
        await pool.close()


async def verdict_of(verdicts: Relay, count: int) -> ValidatedSignal | RejectedSignal:
    async def arrived() -> bool:
        return len(verdicts.handled) >= count

    await eventually(arrived, timeout=10, what=f"verdict {count}")
    return verdicts.handled[count - 1].data
