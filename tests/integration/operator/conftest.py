"""Fixtures: the real local control plane (scripts/kube.sh), the CRDs, the operator under kopf."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kopf.testing import KopfRunner
from kubernetes import client, config, dynamic

from alpha_panda_operator.cluster import Cluster
from kite_sim.background import BackgroundSimulator
from tests.integration.kite_sim.support import frozen_config
from tests.integration.operator.support import FIELD_MANAGER, KiteAccounts, Resources, wait_for

ROOT = Path(__file__).resolve().parents[3]
KUBE_SCRIPT = ROOT / "scripts" / "kube.sh"
BUILD_TIMEOUT_SECONDS = 3600
RESYNC_SECONDS = "2"


@pytest.fixture(scope="session")
def kube() -> Iterator[dict[str, str]]:
    """Start (building on first use) the local control plane; export KUBECONFIG and HELM.

    A control plane this session started is stopped at its end; one already running is kept.
    """
    already_running = (
        subprocess.run([str(KUBE_SCRIPT), "env"], capture_output=True, check=False).returncode == 0
    )
    result = subprocess.run(
        [str(KUBE_SCRIPT), "up"],
        capture_output=True,
        text=True,
        check=False,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/kube.sh up failed:\n{result.stderr}", pytrace=False)
    values = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    os.environ.update(values)
    yield values
    if not already_running:
        subprocess.run([str(KUBE_SCRIPT), "down"], capture_output=True, check=False)


@pytest.fixture(scope="session")
def api_client(kube: dict[str, str]) -> client.ApiClient:
    """Return an API client authenticated as the test administrator."""
    return config.new_client_from_config(config_file=kube["KUBECONFIG"])


@pytest.fixture(scope="session")
def dynamic_client(api_client: client.ApiClient) -> dynamic.DynamicClient:
    """Return a client for any kind, as kubectl uses."""
    return dynamic.DynamicClient(api_client)


@pytest.fixture(scope="session")
def crds(dynamic_client: dynamic.DynamicClient) -> None:
    """Install the CRDs from crds/ and wait until the API server serves them."""
    definitions = dynamic_client.resources.get(
        api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition"
    )
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        definitions.server_side_apply(
            body=document, field_manager=FIELD_MANAGER, force_conflicts=True
        )

        def established(name: str = document["metadata"]["name"]) -> bool:
            conditions = definitions.get(name=name).to_dict()["status"].get("conditions") or []
            return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

        wait_for(established, what=f"CRD {path.name} established")
    dynamic_client.resources.invalidate_cache()


@pytest.fixture()
def namespace(api_client: client.ApiClient) -> Iterator[str]:
    """Create a throw-away namespace with the infrastructure Secret every workload references."""
    core = client.CoreV1Api(api_client)
    name = f"test-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_secret(
        name,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="alpha-panda-infra"),
            string_data={
                "postgres-dsn": "postgresql://alpha@postgres:5432/alpha_panda",
                "redis-url": "redis://redis:6379/0",
            },
        ),
    )
    yield name
    core.delete_namespace(name)


@pytest.fixture(scope="session")
def kite() -> Iterator[KiteAccounts]:
    """Run the Kite simulator whose tokens the operator checks; issue and refuse tokens."""
    with BackgroundSimulator(frozen_config()) as background:
        yield KiteAccounts(background)


@pytest.fixture(scope="module")
def operator(kube: dict[str, str], crds: None, kite: KiteAccounts) -> Iterator[KopfRunner]:
    """Run the operator cluster-wide under kopf's KopfRunner for the tests of one module."""
    with running_operator(kite) as runner:
        yield runner


@contextlib.contextmanager
def running_operator(kite: KiteAccounts, **settings: str) -> Iterator[KopfRunner]:
    """Run the operator under kopf's KopfRunner with `ALPHA_PANDA_OPERATOR_*` settings."""
    arguments = [
        "run",
        "--standalone",
        "--all-namespaces",
        "--verbose",
        "-m",
        "alpha_panda_operator.handlers",
    ]
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("ALPHA_PANDA_OPERATOR_RESYNC_SECONDS", RESYNC_SECONDS)
        environment.setenv("ALPHA_PANDA_OPERATOR_IMAGE", "alpha-panda:test")
        environment.setenv("ALPHA_PANDA_OPERATOR_KITE_ROOT", kite.root)
        for name, value in settings.items():
            environment.setenv(f"ALPHA_PANDA_OPERATOR_{name.upper()}", value)
        with KopfRunner(arguments, timeout=60) as runner:
            yield runner
    assert runner.exception is None, runner.output


@pytest.fixture(scope="session")
def cluster(api_client: client.ApiClient) -> Cluster:
    """Return the operator's own API access, as the test administrator."""
    return Cluster(api_client)


@pytest.fixture()
def resources(dynamic_client: dynamic.DynamicClient, namespace: str, crds: None) -> Resources:
    """Return kubectl-like access to the test namespace."""
    return Resources(dynamic_client, namespace)
