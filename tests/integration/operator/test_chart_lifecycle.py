"""What `helm install` generates and what `helm upgrade` keeps or upgrades, on the API server."""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from alpha_panda.auth.settings import AuthSettings
from alpha_panda_operator.crds import DEFINITIONS
from alpha_panda_operator.isolation import SessionScope
from tests.integration.operator.support import CHART, helm, released_objects

pytestmark = pytest.mark.kube

NO_CRDS = ["--set", "crds.create=false"]
NO_KUBELET = "--no-hooks"
"""The admin Job is a post-install hook whose pod never runs on an API server alone."""


def rendered(kube: dict[str, str], *arguments: str) -> list[dict]:
    output = helm(kube, "template", "alpha-panda", str(CHART), "--namespace", "trading", *arguments)
    return [doc for doc in yaml.safe_load_all(output) if doc]


def named(documents: list[dict], kind: str, suffix: str) -> dict:
    [document] = [
        doc for doc in documents if doc["kind"] == kind and doc["metadata"]["name"].endswith(suffix)
    ]
    return document


def secret_values(api_client: client.ApiClient, namespace: str, name: str) -> dict[str, str]:
    secret = client.CoreV1Api(api_client).read_namespaced_secret(name, namespace)
    return {key: base64.b64decode(value).decode() for key, value in secret.data.items()}


@pytest.fixture()
def release_namespace(api_client: client.ApiClient) -> Iterator[str]:
    name = f"release-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(api_client).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
    )
    yield name
    client.CoreV1Api(api_client).delete_namespace(name)


def test_defaults_generate_a_usable_jwt_key_and_a_first_admin(kube):
    documents = rendered(kube)
    jwt = named(documents, "Secret", "-jwt")["data"]
    settings = AuthSettings(
        jwt_keys=base64.b64decode(jwt["jwt-keys"]).decode(),
        jwt_active_kid=base64.b64decode(jwt["active-kid"]).decode(),
    )
    assert settings.key_ring().active.algorithm == "HS512"
    api_env = {
        item["name"]: item
        for item in named(documents, "Deployment", "-api")["spec"]["template"]["spec"][
            "containers"
        ][0]["env"]
    }
    assert api_env["ALPHA_PANDA_AUTH_JWT_KEYS"]["valueFrom"]["secretKeyRef"]["key"] == "jwt-keys"
    admin = named(documents, "Secret", "-admin")["data"]
    assert len(base64.b64decode(admin["password"])) >= 16
    job = named(documents, "Job", "-admin")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install"
    assert "users add" in job["spec"]["template"]["spec"]["containers"][0]["command"][-1]


def test_crds_are_templates_equal_to_the_generated_ones_and_can_be_left_out(kube):
    crds = {
        doc["metadata"]["name"]: doc
        for doc in rendered(kube)
        if doc["kind"] == "CustomResourceDefinition"
    }
    for definition in DEFINITIONS.values():
        expected = definition()
        assert crds[expected["metadata"]["name"]]["spec"] == expected["spec"]
    assert not [
        doc for doc in rendered(kube, *NO_CRDS) if doc["kind"] == "CustomResourceDefinition"
    ]
    kept = rendered(kube, "--set", "crds.keep=true")
    for crd in (doc for doc in kept if doc["kind"] == "CustomResourceDefinition"):
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_api_uses_the_names_the_operator_derives_for_its_session(kube):
    api = named(rendered(kube), "Deployment", "-api")
    env = {
        item["name"]: item.get("value")
        for item in api["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    scope = SessionScope("trading", "paper", "paper")
    assert env["ALPHA_PANDA_GROUP_PREFIX"] == scope.group_prefix("alpha-panda")
    assert env["ALPHA_PANDA_TOPIC_PREFIX"] == scope.topic_prefix
    assert env["ALPHA_PANDA_MARKET_TOPIC_PREFIX"] == scope.market_topic_prefix


def test_every_pod_of_the_chart_gets_the_otlp_endpoint(kube):
    documents = rendered(kube, "--set", "telemetry.otlpEndpoint=http://otel:4318")
    operator = named(documents, "Deployment", "-operator")["spec"]["template"]["spec"]
    env = {item["name"]: item.get("value") for item in operator["containers"][0]["env"]}
    assert env["ALPHA_PANDA_OPERATOR_OTLP_ENDPOINT"] == "http://otel:4318"
    deployments = [doc for doc in documents if doc["kind"] == "Deployment"]
    assert len(deployments) >= 2
    for deployment in deployments:
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        names = {item["name"]: item.get("value") for item in container["env"]}
        assert names["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel:4318", deployment["metadata"]


def test_generated_secrets_survive_an_upgrade_and_uninstall_leaves_nothing(
    kube, api_client, release_namespace
):
    namespace = release_namespace
    helm(kube, "install", "alpha-panda", str(CHART), "--namespace", namespace, *NO_CRDS, NO_KUBELET)
    jwt = secret_values(api_client, namespace, "alpha-panda-jwt")
    admin = secret_values(api_client, namespace, "alpha-panda-admin")
    helm(
        kube,
        "upgrade",
        "alpha-panda",
        str(CHART),
        "--namespace",
        namespace,
        *NO_CRDS,
        "--set",
        "operator.resyncSeconds=20",
        NO_KUBELET,
    )
    assert secret_values(api_client, namespace, "alpha-panda-jwt") == jwt
    assert secret_values(api_client, namespace, "alpha-panda-admin") == admin
    helm(kube, "uninstall", "alpha-panda", "--namespace", namespace, "--wait")
    assert released_objects(api_client, namespace) == []


def test_helm_upgrade_upgrades_the_crds(kube, api_client, crds, release_namespace, tmp_path):
    namespace = release_namespace
    extensions = client.ApiextensionsV1Api(api_client)
    # the suite installed the CRDs itself: hand them to this release as Helm adopts objects
    for name in ("tradingstrategies.alphapanda.io", "brokersessions.alphapanda.io"):
        extensions.patch_custom_resource_definition(
            name,
            {
                "metadata": {
                    "labels": {"app.kubernetes.io/managed-by": "Helm"},
                    "annotations": {
                        "meta.helm.sh/release-name": "alpha-panda",
                        "meta.helm.sh/release-namespace": namespace,
                    },
                }
            },
        )
    older = older_chart(tmp_path)
    keep = ["--set", "crds.keep=true,api.enabled=false"]
    helm(kube, "install", "alpha-panda", str(older), "--namespace", namespace, *keep)
    assert "Paused" not in printer_columns(extensions, "tradingstrategies.alphapanda.io")
    helm(kube, "upgrade", "alpha-panda", str(CHART), "--namespace", namespace, *keep)
    assert "Paused" in printer_columns(extensions, "tradingstrategies.alphapanda.io")
    helm(kube, "uninstall", "alpha-panda", "--namespace", namespace)
    assert "Paused" in printer_columns(extensions, "tradingstrategies.alphapanda.io")


def older_chart(directory: Path) -> Path:
    """Copy the chart as an older version whose TradingStrategy CRD lacks the Paused column."""
    copy = directory / "alpha-panda"
    shutil.copytree(CHART, copy, symlinks=False)
    path = copy / "files" / "crds" / "tradingstrategies.yaml"
    crd = yaml.safe_load(path.read_text())
    version = crd["spec"]["versions"][0]
    version["additionalPrinterColumns"] = [
        column for column in version["additionalPrinterColumns"] if column["name"] != "Paused"
    ]
    path.write_text(yaml.safe_dump(crd))
    return copy


def printer_columns(extensions: client.ApiextensionsV1Api, name: str) -> list[str]:
    definition = extensions.read_custom_resource_definition(name)
    return [column.name for column in definition.spec.versions[0].additional_printer_columns]
