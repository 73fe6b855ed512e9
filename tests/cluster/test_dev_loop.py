"""`make dev` (scripts/dev.sh, skaffold's loop): the chart deployed with the freshly built image,
and a code change rolls the pods onto a new one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from kubernetes import client

from tests.cluster.conftest import ROOT
from tests.cluster.support import is_ready, kubectl, serves, tool_env, wait_for

pytestmark = pytest.mark.cluster

DEV_SCRIPT = ROOT / "scripts" / "dev.sh"
CHANGED_MODULE = ROOT / "services" / "alpha_panda" / "dev_loop_change.py"
DEPLOY_SECONDS = 1800  # a first build of the images may download every dependency
ROLLED_COMPONENTS = {"operator", "api"}


def deployed(log: Path, process: subprocess.Popen[bytes], count: int, seconds: float) -> str:
    """Wait for scripts/dev.sh's `count`th `dev: deployed TAG` line; return that TAG."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tags = re.findall(r"dev: deployed (\S+) in", log.read_text())
        if len(tags) >= count:
            return tags[count - 1]
        assert process.poll() is None, f"scripts/dev.sh exited:\n{log.read_text()[-3000:]}"
        time.sleep(2)
    raise AssertionError(f"deploy {count} not within {seconds:.0f} s:\n{log.read_text()[-3000:]}")


def running_on(core: client.CoreV1Api, namespace: str, tag: str) -> bool:
    """Whether the operator and API pods, and only those, run `alpha-panda:TAG` and are Ready."""
    pods = [
        pod
        for pod in core.list_namespaced_pod(namespace).items
        if serves(pod)
        and pod.metadata.labels.get("app.kubernetes.io/component") in ROLLED_COMPONENTS
    ]
    components = {pod.metadata.labels["app.kubernetes.io/component"] for pod in pods}
    return components == ROLLED_COMPONENTS and all(
        is_ready(pod) and pod.spec.containers[0].image == f"alpha-panda:{tag}" for pod in pods
    )


def test_make_dev_deploys_the_built_image_and_a_code_change_rolls_the_pods(
    cluster, api_client, tmp_path
):
    namespace = f"e2e-dev-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api_client)
    log = tmp_path / "dev.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(DEV_SCRIPT)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ALPHA_PANDA_DEV_NAMESPACE": namespace},
            start_new_session=True,
        )
    try:
        first = deployed(log, process, 1, DEPLOY_SECONDS)
        wait_for(lambda: running_on(core, namespace, first), 300, f"pods on {first}")
        CHANGED_MODULE.write_text('"""A change the development loop must roll out."""\n')
        changed = time.monotonic()
        second = deployed(log, process, 2, DEPLOY_SECONDS)
        assert second != first
        wait_for(lambda: running_on(core, namespace, second), 300, f"pods on {second}")
        print(f"\ncode change to pods Ready on {second}: {time.monotonic() - changed:.1f} s")
        print(log.read_text())
    finally:
        CHANGED_MODULE.unlink(missing_ok=True)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        subprocess.run(
            [cluster["HELM"], "uninstall", "alpha-panda", "-n", namespace, "--wait"],
            capture_output=True,
            check=False,
            env=tool_env(cluster),
        )
        kubectl(cluster, "delete", "namespace", namespace, "--wait=false")
