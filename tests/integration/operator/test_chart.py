"""The Helm chart lints, renders valid Kubernetes objects and installs."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from kopf.testing import KopfRunner
from kubernetes import client

from tests.integration.operator.conftest import ROOT
from tests.integration.operator.support import (
    CHART,
    Resources,
    helm,
    released_objects,
    wait_for,
)

pytestmark = pytest.mark.kube

VALIDATED_KUBERNETES_VERSION = "1.30.0"
VARIANTS = {
    "defaults": [],
    "development on kind": ["--set", "dev.enabled=true"],
    "cluster-wide": ["--set", "operator.clusterWide=true,api.enabled=false"],
    "observed": [
        "--set",
        "metrics.serviceMonitor.enabled=true,metrics.dashboard.enabled=true,"
        "telemetry.otlpEndpoint=http://otel-collector:4318",
    ],
    "crds elsewhere": ["--set", "crds.create=false,auth.admin.create=false"],
}
PROMETHEUS_OPERATOR = "monitoring.coreos.com/v1"
"""Kinds of the Prometheus Operator, whose schemas the offline validator does not know."""


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_chart_lints_clean(kube, variant):
    output = helm(kube, "lint", "--strict", str(CHART), *VARIANTS[variant])
    assert "0 chart(s) failed" in output


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_chart_passes_strict_schema_validation(kube, variant, tmp_path):
    rendered = helm(
        kube,
        "template",
        "alpha-panda",
        str(CHART),
        "--namespace",
        "trading",
        "--include-crds",
        *VARIANTS[variant],
    )
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    kinds = {doc["kind"] for doc in documents}
    assert {"Deployment", "ServiceAccount"} <= kinds
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(
        yaml.safe_dump_all(doc for doc in documents if doc["apiVersion"] != PROMETHEUS_OPERATOR)
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "kubernetes-validate"),
            "--strict",
            "--kubernetes-version",
            VALIDATED_KUBERNETES_VERSION,
            str(manifest),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_operator_deployment_is_single_and_recreated(kube):
    rendered = helm(kube, "template", "alpha-panda", str(CHART), "--namespace", "trading")
    operator = next(
        doc
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["name"].endswith("-operator")
    )
    assert operator["spec"]["replicas"] == 1
    assert operator["spec"]["strategy"] == {"type": "Recreate"}
    env = {
        item["name"]: item.get("value")
        for item in operator["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["ALPHA_PANDA_OPERATOR_NAMESPACES"] == "trading"


def test_roles_grant_no_secret_listing_no_wildcards_and_the_api_only_its_kill_switch(kube):
    rendered = helm(kube, "template", "alpha-panda", str(CHART), "--namespace", "trading")
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    roles = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Role"}
    assert set(roles) == {"alpha-panda-operator", "alpha-panda-api"}
    for rule in roles["alpha-panda-operator"]["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"]
        if "secrets" in rule["resources"]:
            assert rule["verbs"] == ["get"]
    assert roles["alpha-panda-api"]["rules"] == [
        {
            "apiGroups": ["alphapanda.io"],
            "resources": ["tradingstrategies"],
            "verbs": ["get", "patch"],
        }
    ]
    [api] = [
        d
        for d in documents
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "alpha-panda-api"
    ]
    pod = api["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "alpha-panda-api" and pod["automountServiceAccountToken"]
    env = {item["name"]: item.get("value") for item in pod["containers"][0]["env"]}
    assert env["ALPHA_PANDA_STRATEGY_RESOURCES_NAMESPACE"] == "trading"


def test_chart_installs_into_the_api_server(kube, api_client, crds):
    namespace = f"chart-{uuid.uuid4().hex[:8]}"
    helm(
        kube,
        "install",
        "alpha-panda",
        str(CHART),
        "--namespace",
        namespace,
        "--create-namespace",
        "--set",
        "dev.enabled=true,crds.create=false",
        "--timeout",
        "60s",
        "--no-hooks",  # the admin Job's pod never runs on an API server without a kubelet
    )
    apps = client.AppsV1Api(api_client)
    names = wait_for(
        lambda: {d.metadata.name for d in apps.list_namespaced_deployment(namespace).items},
        what="the chart's Deployments",
    )
    assert {
        "alpha-panda-operator",
        "alpha-panda-api",
        "alpha-panda-kafka",
        "alpha-panda-kite-simulator",
        "alpha-panda-postgres",
        "alpha-panda-redis",
    } <= names
    status = helm(kube, "status", "alpha-panda", "--namespace", namespace, "-o", "yaml")
    assert yaml.safe_load(status)["info"]["status"] == "deployed"
    helm(kube, "uninstall", "alpha-panda", "--namespace", namespace)
    assert released_objects(api_client, namespace) == []
    client.CoreV1Api(api_client).delete_namespace(namespace)


def test_operator_runs_with_nothing_but_the_charts_role(
    kube, api_client, dynamic_client, crds, monkeypatch, tmp_path, kite
):
    namespace = f"rbac-{uuid.uuid4().hex[:8]}"
    helm(
        kube,
        "install",
        "alpha-panda",
        str(CHART),
        "--namespace",
        namespace,
        "--create-namespace",
        "--set",
        "api.enabled=false,crds.create=false",
    )
    core = client.CoreV1Api(api_client)
    token = core.create_namespaced_service_account_token(
        "alpha-panda",
        namespace,
        client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(
                audiences=["https://kubernetes.default.svc"], expiration_seconds=900
            )
        ),
    ).status.token
    admin = yaml.safe_load(Path(kube["KUBECONFIG"]).read_text())
    admin["users"] = [{"name": "operator", "user": {"token": token}}]
    admin["contexts"][0]["context"]["user"] = "operator"
    service_account_config = tmp_path / "operator-kubeconfig"
    service_account_config.write_text(yaml.safe_dump(admin))
    monkeypatch.setenv("KUBECONFIG", str(service_account_config))
    monkeypatch.setenv("ALPHA_PANDA_OPERATOR_NAMESPACES", namespace)
    monkeypatch.setenv("ALPHA_PANDA_OPERATOR_RESYNC_SECONDS", "2")
    monkeypatch.setenv("ALPHA_PANDA_OPERATOR_KITE_ROOT", kite.root)
    resources = Resources(dynamic_client, namespace)
    arguments = [
        "run",
        "--standalone",
        "--namespace",
        namespace,
        "--verbose",
        "-m",
        "alpha_panda_operator.handlers",
    ]
    with KopfRunner(arguments, timeout=60) as runner:
        resources.apply(kite.secret("kite-credentials"))
        resources.apply_file(ROOT / "examples" / "broker-session-paper.yaml")
        resources.apply_file(ROOT / "examples" / "trading-strategy-momentum.yaml")
        wait_for(
            lambda: (
                ((resources.strategy("momentum-large-caps") or {}).get("status") or {}).get("phase")
                == "Pending"
            ),
            timeout=30,
            what="the operator, as its ServiceAccount, to reconcile the strategy",
        )
        resources.delete("apps/v1", "Deployment", "paper-trading-engine")
        wait_for(
            lambda: resources.deployment("paper-trading-engine"),
            timeout=30,
            what="the ServiceAccount's operator to repair a deleted Deployment",
        )
    assert runner.exception is None
    assert "Forbidden" not in runner.output and " 403" not in runner.output, runner.output
    helm(kube, "uninstall", "alpha-panda", "--namespace", namespace)
    core.delete_namespace(namespace)


def test_dockerfile_runs_as_a_non_root_user_and_installs_the_project():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    assert any(line.startswith("USER 10001") for line in lines)
    assert any("pip install" in line and line.rstrip().endswith(". \\") for line in lines)
