"""Strategy definitions as events, against the real Kafka and PostgreSQL: what is defined is
what the running risk manager judges by, and what a runner follows, without a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.core.events import EventType
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics, topic_exists
from alpha_panda.core.topics import TopicMap
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.signals import RejectedSignal, ValidatedSignal
from alpha_panda.domain.values import Namespace
from tests.conftest import eventually
from tests.integration.core.processors import Relay, Source, ledger_pool, running, tick
from tests.integration.definitions.support import (
    INFY,
    Stack,
    limit,
    strategy,
    verdict_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(infra, postgres_dsn, unique) -> AsyncIterator[Stack]:
    stack = Stack(infra, postgres_dsn, f"t{unique}.", f"t{unique}")
    await ensure_topics(
        infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"], stack.settings("x").topics, TopicConfig(partitions=3)
    )
    yield stack
    await stack.close()


@pytest.fixture
async def definitions(stack: Stack) -> AsyncIterator[DefinitionPublisher]:
    publisher = DefinitionPublisher.from_settings(stack.settings("operator"))
    await publisher.start()
    yield publisher
    await publisher.close()


async def test_a_strategy_defined_after_the_risk_manager_started_is_judged_by_its_limits(
    stack, definitions, verdicts, signals, postgres_dsn
):
    await stack.start("risk-manager")
    await definitions.define(strategy("tiny", limit(10)))
    pool = await ledger_pool(postgres_dsn)
    repository = StrategyRepository(pool)

    async def applied() -> bool:  # as a runner starts only once its definition is out
        return await repository.get("tiny") is not None

    await eventually(applied, what="the definition applied by the running risk manager")
    await signals.send_raw("tiny", 1000)
    refused = await verdict_of(verdicts, 1)
    assert isinstance(refused, RejectedSignal) and refused.rule == "max_position_quantity"
    await signals.send_raw("tiny", 5)
    assert isinstance(await verdict_of(verdicts, 2), ValidatedSignal)

    row = await repository.get("tiny")  # the projection follows the stream
    await pool.close()
    assert row is not None and row.risk_limits.max_position_quantity == 10


async def test_a_changed_limit_judges_the_next_signal_within_five_seconds(
    stack, definitions, verdicts, signals
):
    await stack.start("risk-manager")
    await definitions.define(strategy("tiny", limit(10)))
    await signals.send_raw("tiny", 1000)
    assert isinstance(await verdict_of(verdicts, 1), RejectedSignal)

    changed = time.monotonic()
    await definitions.define(strategy("tiny", limit(5000)))
    await signals.send_raw("tiny", 1000)
    judged = await verdict_of(verdicts, 2)
    elapsed = time.monotonic() - changed
    assert isinstance(judged, ValidatedSignal) and elapsed < 5, elapsed


async def test_unknown_and_removed_strategies_are_rejected_as_unknown(
    stack, definitions, verdicts, signals
):
    await stack.start("risk-manager")
    await signals.send_raw("never-defined", 1)
    unknown = await verdict_of(verdicts, 1)
    assert isinstance(unknown, RejectedSignal) and unknown.rule == "unknown_strategy"

    await definitions.define(strategy("brief", limit(10)))
    await signals.send_raw("brief", 1)
    assert isinstance(await verdict_of(verdicts, 2), ValidatedSignal)
    await definitions.remove("brief", Namespace.PAPER)
    await signals.send_raw("brief", 1)
    removed = await verdict_of(verdicts, 3)
    assert isinstance(removed, RejectedSignal) and removed.rule == "unknown_strategy"


async def test_a_paused_definition_stops_the_strategy_and_survives_a_runner_restart(
    stack, definitions, verdicts, signals
):
    await stack.start("risk-manager")
    await definitions.define(strategy("calm", limit(10)))
    await definitions.set_paused("calm", Namespace.PAPER, True)
    await signals.send_raw("calm", 1)
    halted = await verdict_of(verdicts, 1)
    assert isinstance(halted, RejectedSignal) and halted.rule == "kill_switch"

    runner = await stack.start("strategy-runner.calm", strategy_id="calm")
    assert runner.handler.paused
    await stack.stop(runner)
    restarted = await stack.start("strategy-runner.calm", strategy_id="calm")
    assert restarted.handler.paused  # a restart never clears the kill switch
    assert (await definitions.current(Namespace.PAPER))["calm"].config.paused


async def test_two_strategies_on_one_tick_both_reach_the_risk_manager(stack, definitions, verdicts):
    for strategy_id in ("fast-a", "fast-b"):
        await definitions.define(strategy(strategy_id, limit(1000)))
    await stack.start("risk-manager")
    runners = [
        await stack.start(f"strategy-runner.{strategy_id}", strategy_id=strategy_id)
        for strategy_id in ("fast-a", "fast-b")
    ]
    await eventually(
        lambda: _ready(all(runner.positioned.is_set() for runner in runners)),
        what="both runners positioned in their groups",
    )
    source = Source(stack.settings("market-feed"))
    market = stack.settings("x").topics.market_ticks
    async with running(source):
        for second, price in enumerate(["103", "102", "101", "100", "103"]):
            await source.publish(market, [tick_at(second, price)])
        await eventually(lambda: _has(verdicts, 2), timeout=20, what="both strategies' verdicts")
    judged = {event.data.signal.strategy_id: event for event in verdicts.handled}
    assert set(judged) == {"fast-a", "fast-b"}
    assert judged["fast-a"].causation_id != judged["fast-b"].causation_id


async def test_a_runner_started_mid_session_never_signals_on_ticks_older_than_its_window(
    stack, definitions, postgres_dsn
):
    await definitions.define(strategy("late", limit(1000)))
    source = Source(stack.settings("market-feed"))
    market = stack.settings("x").topics.market_ticks
    async with running(source):
        for second, price in enumerate(["103", "102", "101", "100", "103", "104"]):
            await source.publish(market, [tick_at(second, price)])  # a crossover, long ago
        await asyncio.sleep(3)
        runner = await stack.start(
            "strategy-runner.late", strategy_id="late", strategy_warmup_seconds=1
        )
        seen: list = []
        handle = runner.handler.handle

        async def recording(event):
            outputs = await handle(event)
            seen.append((event.type, list(outputs.events)))
            return outputs

        runner.handler.handle = recording
        await eventually(lambda: _ready(runner.positioned.is_set()), what="the runner positioned")
        await source.publish(market, [tick_at(10, "104")])  # now: one fresh tick
        await eventually(lambda: _ready(any(t is EventType.MARKET_TICK for t, _ in seen)))
    ticks = [outputs for kind, outputs in seen if kind is EventType.MARKET_TICK]
    assert len(ticks) == 1 and ticks[0] == []  # the old crossover was never even read


def tick_at(second: int, price: str):
    base = tick(INFY, second)
    return base.model_copy(update={"last_price": Decimal(price)})


async def _has(relay: Relay, count: int) -> bool:
    return len(relay.handled) >= count


async def _ready(value: bool) -> bool:
    return value


async def test_a_strategy_defined_before_any_service_ran_creates_its_compacted_topic(
    kafka_bootstrap, unique
):
    """`strategies add` or a TradingStrategy applied before its session's services created
    the topics: the definition is published at once, not after a send that waits for a topic
    nobody creates; a removal where nothing was ever defined creates nothing."""
    topics = TopicMap(Namespace.PAPER, f"t{unique}.")
    publisher = DefinitionPublisher(kafka_bootstrap, topics, "operator")
    await publisher.start()
    try:
        assert not await topic_exists(kafka_bootstrap, topics.strategies)
        started = time.monotonic()
        await publisher.define(strategy("early", limit(10)), generation=1)
        assert time.monotonic() - started < 5
        defined = await publisher.current(Namespace.PAPER)
        assert defined["early"].config.risk_limits.max_position_quantity == 10
        assert defined["early"].generation == 1
        zerodha = publisher.topics(Namespace.ZERODHA).strategies
        assert await publisher.remove("early", Namespace.ZERODHA) is None
        assert not await topic_exists(kafka_bootstrap, zerodha)
    finally:
        await publisher.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topics.strategies)]
        )
    finally:
        await admin.close()
    settings = {name: value for name, value, *_ in described.resources[0][4]}
    assert settings["cleanup.policy"] == "compact"
