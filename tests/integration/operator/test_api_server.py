"""The control plane the operator tests run against is the Kubernetes version asked for."""

from __future__ import annotations

import os

import pytest
from kubernetes import client

pytestmark = pytest.mark.kube


def test_the_api_server_is_the_kubernetes_version_asked_for(api_client):
    asked = os.environ.get("ALPHA_PANDA_KUBE_VERSION", "1.20.2")
    assert client.VersionApi(api_client).get_code().git_version == f"v{asked}"
