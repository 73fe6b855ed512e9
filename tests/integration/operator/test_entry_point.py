"""`python -m alpha_panda_operator`, as the chart runs it: readiness endpoint and reconciling."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest

from chaos.servers import free_port
from tests.integration.operator.conftest import ROOT
from tests.integration.operator.support import wait_for

pytestmark = pytest.mark.kube


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_entry_point_becomes_ready_and_reconciles_its_namespace(
    kube, crds, resources, namespace, tmp_path, kite
):
    port = free_port()
    environment = {
        **os.environ,
        "ALPHA_PANDA_OPERATOR_NAMESPACES": namespace,
        "ALPHA_PANDA_OPERATOR_HTTP_PORT": str(port),
        "ALPHA_PANDA_OPERATOR_KITE_ROOT": kite.root,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "services"), str(ROOT / "operator")]),
    }
    log_path = tmp_path / "operator.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "alpha_panda_operator"],
            cwd=tmp_path,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: answers(f"http://127.0.0.1:{port}/readyz"),
                timeout=30,
                what=f"the readiness endpoint after the first resync; log:\n{log_path.read_text()}",
            )
            resources.apply(kite.secret("kite-credentials"))
            resources.apply_file(ROOT / "examples" / "broker-session-paper.yaml")
            resources.apply_file(ROOT / "examples" / "trading-strategy-crossover.yaml")
            wait_for(
                lambda: resources.deployment("strategy-runner-crossover-hdfcbank"),
                timeout=30,
                what="the runner Deployment",
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()
