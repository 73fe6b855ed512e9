"""`helm install` with defaults plus the development profile on kind: pods run by a kubelet.

Every pod must become Ready through its own readiness probe (the services' `/readyz`, the
infrastructure's TCP and pg_isready checks) within READY_BOUND_SECONDS, measured from the
install; `helm uninstall` must leave nothing of the release behind.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client

from tests.cluster.support import CHART, helm, is_ready, pod_summary, serves

pytestmark = pytest.mark.cluster

# measured: see docs/cluster.md; a cold node pulls nothing, so this covers process start-up only
READY_BOUND_SECONDS = 240
COMPONENTS = {"operator", "api", "kafka", "postgres", "redis", "kite-simulator"}


@pytest.fixture(scope="module")
def release(cluster, images, api_client) -> Iterator[dict[str, object]]:
    """Install the chart into a fresh namespace; yield how long it took to become Ready."""
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api_client)
    started = time.monotonic()
    helm(
        cluster,
        "install",
        "alpha-panda",
        str(CHART),
        "--namespace",
        namespace,
        "--create-namespace",
        "-f",
        images["values"],
        "--timeout",
        "10m",
    )
    deadline = started + READY_BOUND_SECONDS
    pods: list[client.V1Pod] = []
    while time.monotonic() < deadline:
        pods = [p for p in core.list_namespaced_pod(namespace).items if serves(p)]
        components = {p.metadata.labels.get("app.kubernetes.io/component") for p in pods}
        if components >= COMPONENTS and all(is_ready(p) for p in pods):
            break
        time.sleep(1)
    yield {
        "namespace": namespace,
        "seconds": time.monotonic() - started,
        "pods": pods,
        "core": core,
    }
    helm(cluster, "uninstall", "alpha-panda", "--namespace", namespace, "--wait")
    core.delete_namespace(namespace)


def test_the_node_runs_a_current_kubernetes_with_a_ready_kubelet(api_client):
    version = client.VersionApi(api_client).get_code()
    assert (int(version.major), int(version.minor.rstrip("+"))) >= (1, 31), version.git_version
    [node] = client.CoreV1Api(api_client).list_node().items
    assert node.status.node_info.kubelet_version == version.git_version
    assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)


def test_every_pod_of_the_dev_release_becomes_ready_through_its_probe(release, images):
    pods = release["pods"]
    print(f"\ninstall to all Ready: {release['seconds']:.1f} s")
    components = {p.metadata.labels.get("app.kubernetes.io/component") for p in pods}
    assert components >= COMPONENTS, f"missing {COMPONENTS - components}"
    not_ready = [p for p in pods if not is_ready(p)]
    assert not not_ready, f"not Ready within {READY_BOUND_SECONDS} s:\n{pod_summary(not_ready)}"
    for pod in pods:
        for container in pod.spec.containers:
            assert container.readiness_probe, f"{pod.metadata.name}/{container.name} has no probe"
        assert pod.spec.node_name, "scheduled on the kind node"
    alpha_panda = [
        c.image
        for p in pods
        for c in p.spec.containers
        if p.metadata.labels.get("app.kubernetes.io/component") in {"operator", "api"}
    ]
    assert alpha_panda and all(image == f"alpha-panda:{images['tag']}" for image in alpha_panda)


def test_a_service_pod_answers_readyz_through_the_kubelet_probe_path(release):
    core: client.CoreV1Api = release["core"]
    [api_pod] = [
        p for p in release["pods"] if p.metadata.labels.get("app.kubernetes.io/component") == "api"
    ]
    probe = api_pod.spec.containers[0].readiness_probe.http_get
    assert probe.path == "/readyz"
    answer = core.connect_get_namespaced_pod_proxy_with_path(
        f"{api_pod.metadata.name}:8080", release["namespace"], "readyz"
    )
    assert answer, "the API's /readyz answered through the API server's pod proxy"


def test_the_production_image_has_no_simulator_and_the_simulator_image_does(cluster, images):
    def imports(image: str) -> int:
        return subprocess.run(
            [
                cluster["DOCKER"],
                "run",
                "--rm",
                "--entrypoint",
                "python3",
                image,
                "-c",
                "import importlib.util, sys; sys.exit(importlib.util.find_spec('kite_sim') is None)",
            ],
            capture_output=True,
            check=False,
            timeout=120,
        ).returncode

    assert imports(f"alpha-panda:{images['tag']}") == 1
    assert imports(f"alpha-panda-kite-sim:{images['tag']}") == 0


def test_helm_uninstall_leaves_nothing_of_the_release_behind(cluster, images, api_client, release):
    # the module's release owns the cluster-wide CRDs; a second release leaves them to it
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    helm(
        cluster,
        "install",
        "alpha-panda",
        str(CHART),
        "--namespace",
        namespace,
        "--create-namespace",
        "-f",
        images["values"],
        "--set",
        "crds.create=false",
    )
    helm(cluster, "uninstall", "alpha-panda", "--namespace", namespace, "--wait")
    core = client.CoreV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    selector = "app.kubernetes.io/instance=alpha-panda"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        left = [
            *apps.list_namespaced_deployment(namespace, label_selector=selector).items,
            *core.list_namespaced_service(namespace, label_selector=selector).items,
            *core.list_namespaced_secret(namespace, label_selector=selector).items,
            *core.list_namespaced_pod(namespace, label_selector=selector).items,
        ]
        if not left:
            break
        time.sleep(1)
    assert not left, [f"{type(o).__name__}/{o.metadata.name}" for o in left]
    core.delete_namespace(namespace)
