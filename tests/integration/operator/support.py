"""Helpers of the operator tests: kubectl-like access, polling with a deadline, Secrets."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from alpha_panda_operator import API_VERSION

FIELD_MANAGER = "alpha-panda-tests"


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


def credentials_secret(name: str, token: str) -> dict[str, Any]:
    """Return a Secret holding a Kite API key and access token."""

    def encoded(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "data": {"api_key": encoded("test-api-key"), "access_token": encoded(token)},
    }
