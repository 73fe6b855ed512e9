"""TradingStrategy resources applied as a user does become strategy-runner Deployments."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import redis.asyncio as redis
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from alpha_panda.adapters.redis.feed_capacity import FeedCapacity
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary
from alpha_panda.domain.values import Namespace
from alpha_panda_operator import API_VERSION
from chaos.servers import RedisServer
from tests.integration.operator.conftest import RESYNC_SECONDS, ROOT
from tests.integration.operator.support import KiteAccounts, Resources, wait_for

pytestmark = pytest.mark.kube

EXAMPLES = ROOT / "examples"
RUNNER = "strategy-runner-momentum-large-caps"


def env_of(deployment: dict) -> dict[str, object]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def config_hash(deployment: dict) -> str:
    return deployment["spec"]["template"]["metadata"]["annotations"]["alphapanda.io/config-hash"]


def apply_examples(resources: Resources, kite: KiteAccounts) -> None:
    resources.apply(kite.secret("kite-credentials"))
    for name in (
        "broker-session-paper.yaml",
        "trading-strategy-momentum.yaml",
        "trading-strategy-crossover.yaml",
    ):
        resources.apply_file(EXAMPLES / name)


def phase_is(resources: Resources, name: str, phase: str) -> bool:
    strategy = resources.strategy(name) or {}
    return (strategy.get("status") or {}).get("phase") == phase


def replicas_are(resources: Resources, name: str, replicas: int) -> bool:
    deployment = resources.deployment(name)
    return deployment is not None and deployment["spec"]["replicas"] == replicas


def test_examples_become_runner_deployments_with_group_probes_and_owner(operator, resources, kite):
    apply_examples(resources, kite)
    deployment = wait_for(lambda: resources.deployment(RUNNER), what=f"Deployment {RUNNER}")
    strategy = resources.strategy("momentum-large-caps")
    env = env_of(deployment)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert env["ALPHA_PANDA_SERVICE_NAME"] == "strategy-runner.momentum-large-caps"
    assert env["ALPHA_PANDA_GROUP_PREFIX"] == f"alpha-panda.{resources.namespace}.paper.paper"
    assert json.loads(env["ALPHA_PANDA_STRATEGY_SPEC"])["strategy_type"] == "momentum"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    [owner] = deployment["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "TradingStrategy",
        "momentum-large-caps",
        strategy["metadata"]["uid"],
        True,
    )
    assert wait_for(lambda: resources.deployment("strategy-runner-crossover-hdfcbank"))
    for service in ("market-feed", "risk-manager", "trading-engine", "portfolio-manager"):
        assert wait_for(lambda s=service: resources.deployment(f"paper-{s}"), what=service)
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Pending"), what="Pending")
    status = resources.strategy("momentum-large-caps")["status"]
    assert status["consumerGroup"] == (
        f"alpha-panda.{resources.namespace}.paper.paper.strategy-runner.momentum-large-caps"
    )
    assert status["observedGeneration"] == strategy["metadata"]["generation"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "SessionReady": "True",
        "Paused": "False",
        "Ready": "False",
    }


def test_spec_change_rolls_a_new_pod_template(operator, resources, kite):
    apply_examples(resources, kite)
    before = config_hash(wait_for(lambda: resources.deployment(RUNNER), what=RUNNER))
    strategy = resources.strategy("momentum-large-caps")
    strategy["spec"]["parameters"]["lookback"] = 40
    resources.apply(
        {
            "apiVersion": API_VERSION,
            "kind": "TradingStrategy",
            "metadata": {"name": "momentum-large-caps"},
            "spec": strategy["spec"],
        }
    )
    after = wait_for(
        lambda: (
            config_hash(resources.deployment(RUNNER)) != before and resources.deployment(RUNNER)
        ),
        what="a new pod template",
    )
    assert json.loads(env_of(after)["ALPHA_PANDA_STRATEGY_SPEC"])["parameters"]["lookback"] == 40
    wait_for(
        lambda: (
            resources.strategy("momentum-large-caps")["status"]["observedGeneration"]
            == resources.strategy("momentum-large-caps")["metadata"]["generation"]
        ),
        what="observedGeneration to follow the spec",
    )


def test_pause_scales_the_runner_to_zero_and_resume_brings_it_back(operator, resources, kite):
    apply_examples(resources, kite)
    wait_for(lambda: replicas_are(resources, RUNNER, 1), what="one runner")
    strategy = resources.strategy("momentum-large-caps")
    paused = {
        "apiVersion": API_VERSION,
        "kind": "TradingStrategy",
        "metadata": {"name": "momentum-large-caps"},
        "spec": {**strategy["spec"], "paused": True},
    }
    resources.apply(paused)
    wait_for(lambda: replicas_are(resources, RUNNER, 0), what="zero replicas after pause")
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Paused"), what="phase Paused")
    resources.apply({**paused, "spec": {**paused["spec"], "paused": False}})
    wait_for(lambda: replicas_are(resources, RUNNER, 1), what="one replica after resume")


def test_deleting_a_strategy_removes_its_deployment_and_pods(operator, resources, kite):
    apply_examples(resources, kite)
    wait_for(lambda: resources.deployment(RUNNER), what=RUNNER)
    resources.delete(API_VERSION, "TradingStrategy", "momentum-large-caps")
    wait_for(
        lambda: resources.deployment(RUNNER) is None,
        timeout=60,
        what="the garbage collector to delete the runner",
    )
    assert resources.deployment("strategy-runner-crossover-hdfcbank") is not None


def test_deleted_runner_deployment_is_recreated(operator, resources, kite):
    apply_examples(resources, kite)
    wait_for(lambda: replicas_are(resources, RUNNER, 1), what="one runner")
    first_uid = resources.deployment(RUNNER)["metadata"]["uid"]
    resources.delete("apps/v1", "Deployment", RUNNER)
    wait_for(
        lambda: (
            replicas_are(resources, RUNNER, 1)
            and resources.deployment(RUNNER)["metadata"]["uid"] != first_uid
        ),
        what="the operator to recreate the deleted Deployment",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"strategyType": "martingale"}, "spec.strategyType"),
        ({"namespace": "live"}, "spec.namespace"),
        ({"instruments": []}, "spec.instruments"),
        (
            {"riskLimits": {"maxPositionQuantity": 0, "maxDailyLoss": "100"}},
            "spec.riskLimits.maxPositionQuantity",
        ),
        (
            {"riskLimits": {"maxPositionQuantity": 5, "maxDailyLoss": "-1"}},
            "spec.riskLimits.maxDailyLoss",
        ),
    ],
)
def test_invalid_strategy_is_refused_by_the_api_server_with_the_field(resources, change, message):
    document = yaml.safe_load((EXAMPLES / "trading-strategy-momentum.yaml").read_text())
    document["spec"].update(change)
    with pytest.raises(ApiException) as refused:
        resources.apply(document)
    assert refused.value.status == 422
    body = json.loads(refused.value.body)
    assert message in body["message"], body["message"]
    assert resources.strategy("momentum-large-caps") is None


def test_missing_required_field_is_refused(resources):
    with pytest.raises(ApiException) as refused:
        resources.apply(
            {
                "apiVersion": API_VERSION,
                "kind": "TradingStrategy",
                "metadata": {"name": "incomplete"},
                "spec": {"strategyType": "momentum", "namespace": "paper"},
            }
        )
    assert refused.value.status == 422
    assert "spec.brokerSessionRef: Required value" in json.loads(refused.value.body)["message"]


def test_events_explain_what_the_operator_did(operator, resources, api_client, kite):
    apply_examples(resources, kite)
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Pending"), what="Pending")
    core = client.CoreV1Api(api_client)

    def reasons() -> set[str]:
        events = core.list_namespaced_event(
            resources.namespace,
            field_selector="involvedObject.kind=TradingStrategy,"
            "involvedObject.name=momentum-large-caps",
        ).items
        return {event.reason for event in events}

    assert wait_for(lambda: {"DeploymentCreated", "Pending"} <= reasons(), what="events")


def test_printer_columns_make_kubectl_get_useful(operator, resources, kite):
    apply_examples(resources, kite)
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Pending"), what="Pending")
    columns, rows = resources.table("tradingstrategies")
    assert columns[:7] == ["Name", "Broker", "Strategy", "Session", "Phase", "Ready", "P&L"]
    momentum = rows["momentum-large-caps"]
    assert (momentum["Broker"], momentum["Strategy"], momentum["Phase"], momentum["Ready"]) == (
        "paper",
        "momentum",
        "Pending",
        "False",
    )


def test_parameters_the_strategy_refuses_fail_the_resource_with_the_reason(operator, resources):
    document = yaml.safe_load((EXAMPLES / "trading-strategy-momentum.yaml").read_text())
    document["spec"]["parameters"]["lookback"] = 0
    resources.apply(document)
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Failed"), what="phase Failed")
    conditions = resources.strategy("momentum-large-caps")["status"]["conditions"]
    ready = next(condition for condition in conditions if condition["type"] == "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "lookback" in ready["message"]
    assert resources.deployment(RUNNER) is None


def test_pause_in_an_otherwise_invalid_edit_still_stops_the_runner(operator, resources, kite):
    apply_examples(resources, kite)
    wait_for(lambda: replicas_are(resources, RUNNER, 1), what="one runner")
    strategy = resources.strategy("momentum-large-caps")
    broken = {**strategy["spec"], "paused": True, "parameters": {"lookback": 0}}
    resources.apply(
        {
            "apiVersion": API_VERSION,
            "kind": "TradingStrategy",
            "metadata": {"name": "momentum-large-caps"},
            "spec": broken,
        }
    )
    wait_for(lambda: replicas_are(resources, RUNNER, 0), what="zero replicas despite the error")
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Failed"), what="phase Failed")
    conditions = {
        c["type"]: c for c in resources.strategy("momentum-large-caps")["status"]["conditions"]
    }
    assert conditions["Paused"]["status"] == "True"
    assert conditions["Ready"]["reason"] == "InvalidSpec"
    assert "lookback" in conditions["Ready"]["message"]
    assert "spec.paused holds the runner at zero" in conditions["Ready"]["message"]
    # a resync later the runner is still held at zero
    time.sleep(3)
    assert replicas_are(resources, RUNNER, 0)


def test_set_image_on_an_owned_deployment_is_undone_within_one_resync(
    operator, resources, kite, api_client
):
    apply_examples(resources, kite)
    wait_for(lambda: replicas_are(resources, RUNNER, 1), what="one runner")
    template = resources.deployment(RUNNER)["spec"]["template"]
    container = template["spec"]["containers"][0]["name"]
    client.AppsV1Api(api_client).patch_namespaced_deployment(
        RUNNER,
        resources.namespace,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": container, "image": "evil/miner"}]}}
            }
        },
        field_manager="kubectl-set",
    )
    started = time.monotonic()
    wait_for(
        lambda: resources.deployment(RUNNER)["spec"]["template"] == template,
        timeout=2 * float(RESYNC_SECONDS) + 5,
        what="the operator to restore the pod template",
    )
    assert time.monotonic() - started <= 2 * float(RESYNC_SECONDS) + 5


def test_status_carries_the_portfolio_figures_and_the_pnl_column_shows_them(
    operator, resources, kite, api_client, tmp_path
):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        core = client.CoreV1Api(api_client)
        core.patch_namespaced_secret(
            "alpha-panda-infra",
            resources.namespace,
            {"stringData": {"redis-url": redis_server.url}},
        )
        apply_examples(resources, kite)
        wait_for(lambda: phase_is(resources, "momentum-large-caps", "Pending"), what="Pending")
        asyncio.run(publish_figures(redis_server.url, f"{resources.namespace}.paper."))
        strategy = wait_for(
            lambda: (
                (resources.strategy("momentum-large-caps").get("status") or {}).get("trading")
                and resources.strategy("momentum-large-caps")
            ),
            timeout=10,
            what="the figures in the status within 10 s",
        )
        trading = strategy["status"]["trading"]
        assert (trading["realizedPnl"], trading["unrealizedPnl"], trading["netPnl"]) == (
            "1250.50",
            "-300.25",
            "930.13",
        )
        assert (trading["fills"], trading["ordersToday"], trading["fillsToday"]) == (4, 5, 4)
        assert trading["lastSignalAt"] == "2026-12-07T04:30:05Z"
        assert trading["positions"] == [
            {
                "instrumentToken": 738561,
                "quantity": 10,
                "averagePrice": "2450.1000",
                "lastPrice": "2420.07",
                "unrealizedPnl": "-300.25",
            }
        ]
        _, rows = resources.table("tradingstrategies")
        assert rows["momentum-large-caps"]["P&L"] == "930.13"
        assert rows["momentum-large-caps"]["Orders"] == 5

        # the feed names a strategy whose instruments are over Kite's limits: so does its status
        over = {"paper/crossover-hdfcbank": (341249,)}
        asyncio.run(publish_over_capacity(redis_server.url, f"{resources.namespace}.", over))
        wait_for(
            lambda: over_capacity_of(resources, "crossover-hdfcbank") == [341249],
            timeout=10,
            what="the instruments over capacity in the status",
        )
        assert over_capacity_of(resources, "momentum-large-caps") is None
        asyncio.run(publish_over_capacity(redis_server.url, f"{resources.namespace}.", {}))
        wait_for(
            lambda: over_capacity_of(resources, "crossover-hdfcbank") == [],
            timeout=10,
            what="the status cleared once they stream",
        )
        assert rows["crossover-hdfcbank"]["P&L"] is None
    finally:
        redis_server.stop()


def over_capacity_of(resources: Resources, name: str) -> list[int] | None:
    return ((resources.strategy(name) or {}).get("status") or {}).get("instrumentsOverCapacity")


async def publish_over_capacity(url: str, market_prefix: str, over: dict) -> None:
    """Say which strategies' instruments are over capacity, as the market feed does."""
    cache_client = redis.from_url(url)
    try:
        await FeedCapacity(cache_client, market_prefix).publish(over)
    finally:
        await cache_client.aclose()


async def publish_figures(url: str, prefix: str) -> None:
    """Publish one strategy's figures as the portfolio manager does after a batch."""
    cache_client = redis.from_url(url)
    try:
        summary = StrategySummary(
            strategy_id="momentum-large-caps",
            realized_pnl=Decimal("1250.50"),
            unrealized_pnl=Decimal("-300.25"),
            gross_pnl=Decimal("950.25"),
            charges=Decimal("20.125"),
            net_pnl=Decimal("930.125"),
            exposure=Decimal("24200.70"),
            margin_used=Decimal("4840.14"),
            fills=4,
            orders_today=5,
            fills_today=4,
            last_signal_at=datetime(2026, 12, 7, 4, 30, 5, tzinfo=UTC),
        )
        position = PositionView(
            strategy_id="momentum-large-caps",
            instrument_token=738561,
            quantity=10,
            average_price=Decimal("2450.1000"),
            last_price=Decimal("2420.07"),
            realized_pnl=Decimal("1250.50"),
            unrealized_pnl=Decimal("-300.25"),
            charges=Decimal("20.125"),
        )
        totals = NamespaceSummary(
            namespace=Namespace.PAPER,
            realized_pnl=summary.realized_pnl,
            unrealized_pnl=summary.unrealized_pnl,
            gross_pnl=summary.gross_pnl,
            charges=summary.charges,
            net_pnl=summary.net_pnl,
            exposure=summary.exposure,
            margin_used=summary.margin_used,
            fills=4,
            cash=Decimal("1001230.375"),
            equity=Decimal("1000930.125"),
            available_margin=Decimal("996090.235"),
        )
        await PortfolioCache(cache_client, Namespace.PAPER, prefix).publish(
            totals, [summary], [position]
        )
    finally:
        await cache_client.aclose()
