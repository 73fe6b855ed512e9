"""Helpers of the cluster tests: helm, kubectl, port-forwards and waiting, all on the kind cluster."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from kubernetes import client

from tests.cluster.conftest import ROOT

CHART = ROOT / "charts" / "alpha-panda"
T = TypeVar("T")


def tool_env(cluster: dict[str, str]) -> dict[str, str]:
    """Return the environment helm and kubectl run with: only the cluster's kubeconfig."""
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "KUBECONFIG": cluster["KUBECONFIG"]}


def run_tool(
    cluster: dict[str, str],
    tool: str,
    *arguments: str,
    stdin: str | None = None,
    timeout: float = 180,
) -> str:
    """Run the cluster's `tool` (HELM, KUBECTL); fail the test with its stderr when it fails."""
    result = subprocess.run(
        [cluster[tool], *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=tool_env(cluster),
    )
    command = f"{tool.lower()} {' '.join(arguments)}"
    assert result.returncode == 0, f"{command} failed:\n{result.stderr}"
    return result.stdout


def helm(cluster: dict[str, str], *arguments: str, timeout: float = 900) -> str:
    """Run helm against the cluster."""
    return run_tool(cluster, "HELM", *arguments, timeout=timeout)


def kubectl(cluster: dict[str, str], *arguments: str, stdin: str | None = None) -> str:
    """Run kubectl against the cluster."""
    return run_tool(cluster, "KUBECTL", *arguments, stdin=stdin)


def install(cluster: dict[str, str], namespace: str, values: str, *settings: str) -> None:
    """`helm install alpha-panda` into a new namespace with the development values file."""
    arguments = ["install", "alpha-panda", str(CHART), "--namespace", namespace]
    arguments += ["--create-namespace", "-f", values, "--timeout", "10m"]
    for setting in settings:
        arguments += ["--set", setting]
    helm(cluster, *arguments)


def serves(pod: client.V1Pod) -> bool:
    """Whether a pod is meant to stay up (not one of a Job's, like the first-admin hook's)."""
    return not any(owner.kind == "Job" for owner in pod.metadata.owner_references or [])


def is_ready(pod: client.V1Pod) -> bool:
    """Whether the kubelet reports the pod Ready (its readiness probe passes)."""
    conditions = pod.status.conditions or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def pod_summary(pods: list[client.V1Pod]) -> str:
    """Return one line per pod: phase, readiness, restarts and why a container waits."""
    lines = []
    for pod in pods:
        statuses = pod.status.container_statuses or []
        states = [
            f"{s.name}: ready={s.ready} restarts={s.restart_count} {s.state.waiting or ''}"
            for s in statuses
        ]
        lines.append(f"{pod.metadata.name} {pod.status.phase} {'; '.join(states)}")
    return "\n".join(lines)


def wait_for(check: Callable[[], T | None], seconds: float, what: str, every: float = 1.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(every)


def psql_json(cluster: dict[str, str], namespace: str, query: str) -> list[dict[str, Any]]:
    """Run a SELECT in the release's PostgreSQL pod; return its rows (numbers as Decimal)."""
    wrapped = f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({query}) q"
    output = kubectl(
        cluster,
        "-n",
        namespace,
        "exec",
        "deploy/alpha-panda-postgres",
        "--",
        "psql",
        "-U",
        "alpha",
        "-d",
        "alpha_panda",
        "-At",
        "-c",
        wrapped,
    )
    rows: list[dict[str, Any]] = json.loads(output, parse_float=Decimal)
    return rows


@contextmanager
def port_forward(cluster: dict[str, str], namespace: str, target: str, port: int) -> Iterator[int]:
    """`kubectl port-forward` a Service or pod port to a free local port; yield that port."""
    process = subprocess.Popen(
        [cluster["KUBECTL"], "-n", namespace, "port-forward", target, f":{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=tool_env(cluster),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert found, f"kubectl port-forward {target} printed {line!r}"
        yield int(found.group(1))
    finally:
        process.terminate()
        process.wait(timeout=10)
