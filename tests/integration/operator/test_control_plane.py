"""The TradingStrategy resource is what trades: applied, changed and paused where a user does it
(the API server, the API's pause), judged where it matters (the risk manager already running on
the real Kafka and PostgreSQL), with the operator in between."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml
from kopf.testing import KopfRunner
from kubernetes import client

from alpha_panda.adapters.kubernetes.strategy_resources import StrategyResources
from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.api.strategy_control import StrategyControl
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.signals import RejectedSignal, ValidatedSignal
from alpha_panda.domain.values import IST
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.workloads import STRATEGY_RUNNER
from tests.conftest import delete_topics_containing, eventually
from tests.integration.core.processors import ledger_pool
from tests.integration.definitions.support import (
    Stack,
    verdict_of,
)
from tests.integration.operator.conftest import ROOT, running_operator
from tests.integration.operator.support import KiteAccounts, Resources

pytestmark = [pytest.mark.kube, pytest.mark.integration]

EXAMPLES = ROOT / "examples"
NAME = "momentum-large-caps"
SESSION_TIME = datetime(2026, 11, 23, 10, 0, tzinfo=IST)
"""Signals are stamped in a Monday session: the example's default market hours hold then."""


@pytest.fixture(scope="module")
def operator(kube, crds, kite: KiteAccounts, infra) -> Iterator[KopfRunner]:
    """Run the operator publishing definitions to the real local Kafka."""
    with running_operator(kite, kafka_bootstrap=infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"]) as runner:
        yield runner


@pytest.fixture
async def stack(infra, postgres_dsn, namespace: str) -> AsyncIterator[Stack]:
    """The session's shared services, named as the operator names the `paper` session's."""
    scope = SessionScope(namespace, "paper", "paper")
    stack = Stack(infra, postgres_dsn, scope.topic_prefix, scope.group_prefix("t"))
    await ensure_topics(infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"], stack.settings("x").topics)
    yield stack
    await stack.close()
    await delete_topics_containing(infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"], scope.topic_prefix)


def strategy_resource(max_quantity: int) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(
        (EXAMPLES / "trading-strategy-momentum.yaml").read_text()
    )
    document["spec"]["riskLimits"]["maxPositionQuantity"] = max_quantity
    return document


async def test_applied_changed_and_paused_resources_are_what_the_running_risk_manager_judges(
    operator, resources: Resources, kite: KiteAccounts, stack, verdicts, signals, postgres_dsn,
    api_client: client.ApiClient,
):  # fmt: skip
    await stack.start("risk-manager")  # the shared services run before the strategy exists
    resources.apply(kite.secret("kite-credentials"))
    resources.apply_file(EXAMPLES / "broker-session-paper.yaml")
    apps = client.AppsV1Api(api_client)

    def shared_deployments() -> dict[str, tuple[int, object]]:
        items = apps.list_namespaced_deployment(resources.namespace).items
        return {
            d.metadata.name: (d.metadata.generation, api_client.sanitize_for_serialization(d.spec))
            for d in items
            if not d.metadata.name.startswith(STRATEGY_RUNNER)
        }

    # risk manager, trading engine, portfolio manager and market feed
    await eventually(lambda: _holds(len(shared_deployments()) == 4), what="the shared services")
    shared_before = shared_deployments()
    resources.apply(strategy_resource(max_quantity=10))
    pool = await ledger_pool(postgres_dsn)
    projection = StrategyRepository(pool)

    async def limit_in_force(quantity: int) -> bool:
        row = await projection.get(NAME)
        return row is not None and row.risk_limits.max_position_quantity == quantity

    try:
        await eventually(lambda: limit_in_force(10), what="the applied limit in force")
        await signals.send_raw(NAME, 1000, at=SESSION_TIME)
        refused = await verdict_of(verdicts, 1)
        assert isinstance(refused, RejectedSignal), refused
        assert refused.rule == "max_position_quantity"

        changed = time.monotonic()
        resources.apply(strategy_resource(max_quantity=200))
        await eventually(lambda: limit_in_force(200), timeout=5, what="the changed limit")
        in_force_after = time.monotonic() - changed
        await signals.send_raw(
            NAME, 100, at=SESSION_TIME + timedelta(seconds=1)
        )  # over 10, under 200
        assert isinstance(await verdict_of(verdicts, 2), ValidatedSignal)

        await signals.send_raw("no-such-strategy", 1, at=SESSION_TIME + timedelta(seconds=2))
        unknown = await verdict_of(verdicts, 3)
        assert isinstance(unknown, RejectedSignal) and unknown.rule == "unknown_strategy"

        control = StrategyControl(
            projection,
            DefinitionPublisher.from_settings(stack.settings("api")),  # unused under the operator
            StrategyResources(resources.namespace, api_client),
        )
        view = await control.set_paused(NAME, True)
        assert view is not None and view.paused
        assert await control.set_paused("no-such-strategy", True) is None
        _, rows = resources.table("tradingstrategies")
        assert rows[NAME]["Paused"] is True  # what `kubectl get ts` shows

        async def paused_in_force() -> bool:
            row = await projection.get(NAME)
            return row is not None and row.paused

        await eventually(paused_in_force, timeout=5, what="the pause in force")
        await signals.send_raw(NAME, 1, at=SESSION_TIME + timedelta(seconds=3))
        halted = await verdict_of(verdicts, 4)
        assert isinstance(halted, RejectedSignal) and halted.rule == "kill_switch"

        runner = await stack.start(f"strategy-runner.{NAME}", strategy_id=NAME)
        assert runner.handler.paused  # a runner (re)started under the pause stays paused
    finally:
        await pool.close()
    assert in_force_after < 5, in_force_after
    assert shared_deployments() == shared_before  # no shared service rolled or restarted


async def _holds(value: bool) -> bool:
    return value
