"""The level-based resync alone, with no operator watching: it builds and repairs children."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from alpha_panda_operator import API_VERSION
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.resync import resync_once
from tests.integration.operator.conftest import ROOT

pytestmark = pytest.mark.kube

RUNNER = "strategy-runner-momentum-large-caps"


def reconciled_examples(cluster, resources, namespace, kite) -> OperatorConfig:
    """Apply a paper session and a strategy and resync once; return the resync's settings."""
    config = OperatorConfig(namespaces=namespace, kite_root=kite.root)
    resources.apply(kite.secret("kite-credentials"))
    resources.apply_file(ROOT / "examples" / "broker-session-paper.yaml")
    resources.apply_file(ROOT / "examples" / "trading-strategy-momentum.yaml")
    resync_once(cluster, config)
    return config


def settled(resources, name: str, quiet_seconds: float = 2.0) -> None:
    """Wait until the controller manager stops writing a new Deployment's status."""
    last, since = None, time.monotonic()
    deadline = since + 30
    while time.monotonic() < deadline:
        version = resources.deployment(name)["metadata"]["resourceVersion"]
        if version != last:
            last, since = version, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return
        time.sleep(0.2)
    pytest.fail(f"Deployment {name} kept changing for 30 s")


def test_resync_recreates_a_deleted_child_and_writes_status(cluster, resources, namespace, kite):
    config = reconciled_examples(cluster, resources, namespace, kite)
    first = resources.deployment(RUNNER)
    assert first["spec"]["replicas"] == 1
    assert resources.strategy("momentum-large-caps")["status"]["phase"] == "Pending"
    assert resources.session("paper")["status"]["phase"] == "Ready"

    resources.delete("apps/v1", "Deployment", RUNNER)
    resync_once(cluster, config)
    recreated = resources.deployment(RUNNER)
    assert recreated["metadata"]["uid"] != first["metadata"]["uid"]
    assert recreated["spec"]["template"] == first["spec"]["template"]


def test_resync_of_unchanged_resources_writes_nothing(cluster, resources, namespace, kite):
    config = reconciled_examples(cluster, resources, namespace, kite)
    settled(resources, RUNNER)
    versions = {
        "strategy": resources.strategy("momentum-large-caps")["metadata"]["resourceVersion"],
        "session": resources.session("paper")["metadata"]["resourceVersion"],
        "runner": resources.deployment(RUNNER)["metadata"]["resourceVersion"],
    }
    resync_once(cluster, config)
    assert versions == {
        "strategy": resources.strategy("momentum-large-caps")["metadata"]["resourceVersion"],
        "session": resources.session("paper")["metadata"]["resourceVersion"],
        "runner": resources.deployment(RUNNER)["metadata"]["resourceVersion"],
    }


def test_resync_scales_a_manually_scaled_runner_back(cluster, resources, namespace, kite):
    config = reconciled_examples(cluster, resources, namespace, kite)
    deployment = resources.deployment(RUNNER)
    resources.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": RUNNER},
            "spec": {**deployment["spec"], "replicas": 3},
        }
    )
    resync_once(cluster, config)
    assert resources.deployment(RUNNER)["spec"]["replicas"] == 1
    assert API_VERSION in {
        ref["apiVersion"] for ref in resources.deployment(RUNNER)["metadata"]["ownerReferences"]
    }


def test_resync_undoes_hand_edits_of_image_env_probes_resources_and_replicas(
    cluster, resources, namespace, kite, api_client
):
    config = reconciled_examples(cluster, resources, namespace, kite)
    owned = resources.deployment(RUNNER)
    container = owned["spec"]["template"]["spec"]["containers"][0]
    tampered = {
        **container,
        "image": "evil/miner:latest",
        "env": [
            {**item, "value": "alpha-panda.someone-else"}
            if item["name"] == "ALPHA_PANDA_GROUP_PREFIX"
            else item
            for item in container["env"]
        ],
        "readinessProbe": {**container["readinessProbe"], "periodSeconds": 300},
        "resources": {"limits": {"memory": "8Gi", "cpu": "4"}},
    }
    # a strategic merge patch by another field manager, as `kubectl set image/env/resources` does
    client.AppsV1Api(api_client).patch_namespaced_deployment(
        RUNNER,
        namespace,
        {"spec": {"replicas": 2, "template": {"spec": {"containers": [tampered]}}}},
        field_manager="kubectl-set",
    )
    edited = resources.deployment(RUNNER)
    assert edited["spec"]["template"]["spec"]["containers"][0]["image"] == "evil/miner:latest"

    resync_once(cluster, config)
    repaired = resources.deployment(RUNNER)
    assert repaired["spec"]["replicas"] == owned["spec"]["replicas"] == 1
    assert repaired["spec"]["template"] == owned["spec"]["template"]
