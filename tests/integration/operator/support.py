"""Helpers of the operator tests: kubectl-like access, polling with a deadline, Secrets."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from alpha_panda_operator import API_VERSION
from kite_sim.background import BackgroundSimulator

FIELD_MANAGER = "alpha-panda-tests"
CHART = Path(__file__).resolve().parents[3] / "charts" / "alpha-panda"
RELEASE_SELECTOR = "app.kubernetes.io/instance=alpha-panda"


def helm(kube: dict[str, str], *arguments: str) -> str:
    """Run helm against the test control plane; fail with its stderr when it fails."""
    result = subprocess.run(
        [kube["HELM"], *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "KUBECONFIG": kube["KUBECONFIG"]},
    )
    assert result.returncode == 0, f"helm {' '.join(arguments)} failed:\n{result.stderr}"
    return result.stdout


def released_objects(api_client: client.ApiClient, namespace: str) -> list[str]:
    """Return `kind/name` of every object of the release `alpha-panda` left in a namespace."""
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    batch, rbac = client.BatchV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    listings = {
        "Deployment": apps.list_namespaced_deployment,
        "Service": core.list_namespaced_service,
        "Secret": core.list_namespaced_secret,
        "ConfigMap": core.list_namespaced_config_map,
        "ServiceAccount": core.list_namespaced_service_account,
        "Job": batch.list_namespaced_job,
        "Role": rbac.list_namespaced_role,
        "RoleBinding": rbac.list_namespaced_role_binding,
    }
    return [
        f"{kind}/{item.metadata.name}"
        for kind, listing in listings.items()
        for item in listing(namespace, label_selector=RELEASE_SELECTOR).items
    ]


def wait_for(check: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Poll `check` until it returns a truthy value; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except ApiException as error:
            last_error = error
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last error: {last_error})")


class Resources:
    """Apply and read objects the way a user does with kubectl."""

    def __init__(self, dynamic_client: dynamic.DynamicClient, namespace: str) -> None:
        self.client = dynamic_client
        self.namespace = namespace

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply one document into the test namespace (`kubectl apply`)."""
        kind = self.client.resources.get(api_version=document["apiVersion"], kind=document["kind"])
        applied = kind.server_side_apply(
            body=document,
            namespace=self.namespace,
            field_manager=FIELD_MANAGER,
            force_conflicts=True,
        )
        return applied.to_dict()

    def apply_file(self, path: Path) -> list[dict[str, Any]]:
        """Apply every document of a YAML file."""
        return [self.apply(doc) for doc in yaml.safe_load_all(path.read_text()) if doc]

    def get(self, api_version: str, kind: str, name: str) -> dict[str, Any] | None:
        """Return an object, or None when it does not exist."""
        resource = self.client.resources.get(api_version=api_version, kind=kind)
        try:
            return resource.get(name=name, namespace=self.namespace).to_dict()
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def delete(self, api_version: str, kind: str, name: str) -> None:
        """Delete an object in the background, as kubectl does."""
        resource = self.client.resources.get(api_version=api_version, kind=kind)
        resource.delete(
            name=name, namespace=self.namespace, body={"propagationPolicy": "Background"}
        )

    def strategy(self, name: str) -> dict[str, Any] | None:
        """Return a TradingStrategy."""
        return self.get(API_VERSION, "TradingStrategy", name)

    def session(self, name: str) -> dict[str, Any] | None:
        """Return a BrokerSession."""
        return self.get(API_VERSION, "BrokerSession", name)

    def deployment(self, name: str) -> dict[str, Any] | None:
        """Return a Deployment."""
        return self.get("apps/v1", "Deployment", name)

    def table(self, plural: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """Return the printer columns of a kind and its rows by name, as `kubectl get` sees them."""
        table = self.client.request(
            "GET",
            f"/apis/{API_VERSION}/namespaces/{self.namespace}/{plural}",
            header_params={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        ).to_dict()
        columns = [column["name"] for column in table["columnDefinitions"]]
        rows = {
            row["cells"][0]: dict(zip(columns, row["cells"], strict=True)) for row in table["rows"]
        }
        return columns, rows


def credentials_secret(name: str, token: str, api_key: str = "test-api-key") -> dict[str, Any]:
    """Return a Secret holding a Kite API key and access token."""

    def encoded(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "data": {"api_key": encoded(api_key), "access_token": encoded(token)},
    }


class KiteAccounts:
    """Tokens of the Kite simulator the operator checks sessions against."""

    def __init__(self, background: BackgroundSimulator) -> None:
        self._background = background
        self.root = background.urls.rest

    def secret(self, name: str) -> dict[str, Any]:
        """Return a Secret with a fresh access token Kite accepts."""
        session = self._background.call(self._background.simulator.login)
        return credentials_secret(name, session.access_token, self._background.simulator.api_key)

    def refused_secret(self, name: str) -> dict[str, Any]:
        """Return a Secret with the right API key and a token Kite never issued."""
        return credentials_secret(name, "never-issued", self._background.simulator.api_key)
