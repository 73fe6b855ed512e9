"""TradingStrategy resources applied as a user does become strategy-runner Deployments."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from alpha_panda_operator import API_VERSION
from tests.integration.operator.conftest import ROOT
from tests.integration.operator.support import Resources, credentials_secret, wait_for

pytestmark = pytest.mark.kube

EXAMPLES = ROOT / "examples"
RUNNER = "strategy-runner-momentum-large-caps"


def env_of(deployment: dict) -> dict[str, object]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def config_hash(deployment: dict) -> str:
    return deployment["spec"]["template"]["metadata"]["annotations"]["alphapanda.io/config-hash"]


def apply_examples(resources: Resources) -> None:
    resources.apply(credentials_secret("kite-credentials", "token-of-today"))
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


def test_examples_become_runner_deployments_with_group_probes_and_owner(operator, resources):
    apply_examples(resources)
    deployment = wait_for(lambda: resources.deployment(RUNNER), what=f"Deployment {RUNNER}")
    strategy = resources.strategy("momentum-large-caps")
    env = env_of(deployment)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert env["ALPHA_PANDA_SERVICE_NAME"] == "strategy-runner.momentum-large-caps"
    assert env["ALPHA_PANDA_GROUP_PREFIX"] == "alpha-panda.paper"
    assert json.loads(env["ALPHA_PANDA_STRATEGY_SPEC"])["strategy_type"] == "momentum"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
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
    assert status["consumerGroup"] == "alpha-panda.paper.strategy-runner.momentum-large-caps"
    assert status["observedGeneration"] == strategy["metadata"]["generation"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "SessionReady": "True",
        "Ready": "False",
    }


def test_spec_change_rolls_a_new_pod_template(operator, resources):
    apply_examples(resources)
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


def test_pause_scales_the_runner_to_zero_and_resume_brings_it_back(operator, resources):
    apply_examples(resources)
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


def test_deleting_a_strategy_removes_its_deployment_and_pods(operator, resources):
    apply_examples(resources)
    wait_for(lambda: resources.deployment(RUNNER), what=RUNNER)
    resources.delete(API_VERSION, "TradingStrategy", "momentum-large-caps")
    wait_for(
        lambda: resources.deployment(RUNNER) is None,
        timeout=60,
        what="the garbage collector to delete the runner",
    )
    assert resources.deployment("strategy-runner-crossover-hdfcbank") is not None


def test_deleted_runner_deployment_is_recreated(operator, resources):
    apply_examples(resources)
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


def test_events_explain_what_the_operator_did(operator, resources, api_client):
    apply_examples(resources)
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


def test_printer_columns_make_kubectl_get_useful(operator, resources, dynamic_client):
    apply_examples(resources)
    wait_for(lambda: phase_is(resources, "momentum-large-caps", "Pending"), what="Pending")
    table = dynamic_client.request(
        "GET",
        f"/apis/{API_VERSION}/namespaces/{resources.namespace}/tradingstrategies",
        header_params={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    ).to_dict()
    columns = [column["name"] for column in table["columnDefinitions"]]
    rows = {row["cells"][0]: dict(zip(columns, row["cells"], strict=True)) for row in table["rows"]}
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
    [ready] = resources.strategy("momentum-large-caps")["status"]["conditions"]
    assert ready["reason"] == "InvalidSpec"
    assert "lookback" in ready["message"]
    assert resources.deployment(RUNNER) is None
