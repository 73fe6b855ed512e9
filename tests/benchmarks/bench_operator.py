"""Benchmark the operator: 100 TradingStrategy resources applied at once, all reconciled.

Starts the local control plane (scripts/kube.sh), installs the CRDs, runs the operator under
kopf's KopfRunner, applies one BrokerSession and N strategies from a thread pool, and measures
until every strategy has its runner Deployment and a Pending (or Running) status with
observedGeneration set. Run: `python tests/benchmarks/bench_operator.py [--count 100]`.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "services"), str(ROOT / "operator"), str(ROOT)]

import yaml  # noqa: E402
from kopf.testing import KopfRunner  # noqa: E402
from kubernetes import client, config  # noqa: E402

from alpha_panda_operator import GROUP, VERSION  # noqa: E402

BUDGET_SECONDS = 30.0


def start_control_plane() -> tuple[client.ApiClient, bool]:
    """Start the control plane; return a client and whether it was already running."""
    script = str(ROOT / "scripts/kube.sh")
    running = subprocess.run([script, "env"], capture_output=True, check=False).returncode == 0
    out = subprocess.run([script, "up"], capture_output=True, text=True, check=True)
    os.environ.update(dict(line.split("=", 1) for line in out.stdout.split()))
    return config.new_client_from_config(config_file=os.environ["KUBECONFIG"]), running


def install_crds(api: client.ApiClient) -> None:
    extensions = client.ApiextensionsV1Api(api)
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        try:
            extensions.create_custom_resource_definition(document)
        except client.ApiException as error:
            if error.status != 409:
                raise
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        name = yaml.safe_load(path.read_text())["metadata"]["name"]
        deadline = time.monotonic() + 30
        while not any(
            c.type == "Established" and c.status == "True"
            for c in extensions.read_custom_resource_definition(name).status.conditions or []
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {name} not established")
            time.sleep(0.1)


def prepare_namespace(api: client.ApiClient) -> str:
    core = client.CoreV1Api(api)
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    secret = {
        key: base64.b64encode(value.encode()).decode()
        for key, value in {"api_key": "bench-key", "access_token": "bench-token"}.items()
    }
    core.create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="kite-credentials"), data=secret),
    )
    custom = client.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        "brokersessions",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "BrokerSession",
            "metadata": {"name": "paper"},
            "spec": {"namespace": "paper", "secretRef": {"name": "kite-credentials"}},
        },
    )
    return namespace


def strategy(index: int) -> dict:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "TradingStrategy",
        "metadata": {"name": f"momentum-{index:03d}"},
        "spec": {
            "strategyType": "momentum",
            "namespace": "paper",
            "brokerSessionRef": {"name": "paper"},
            "instruments": [
                {"instrumentToken": 738561 + index, "tradingSymbol": "RELIANCE", "exchange": "NSE"}
            ],
            "parameters": {"lookback": 10 + index % 20},
            "riskLimits": {"maxPositionQuantity": 10, "maxDailyLoss": "5000"},
        },
    }


def reconciled(api: client.ApiClient, namespace: str) -> tuple[int, int]:
    custom = client.CustomObjectsApi(api)
    apps = client.AppsV1Api(api)
    items = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, "tradingstrategies")[
        "items"
    ]
    with_status = sum(
        1
        for item in items
        if (item.get("status") or {}).get("phase") in {"Pending", "Running"}
        and item["status"].get("observedGeneration") == item["metadata"]["generation"]
    )
    deployments = len(
        apps.list_namespaced_deployment(
            namespace, label_selector="app.kubernetes.io/component=strategy-runner"
        ).items
    )
    return with_status, deployments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    arguments = parser.parse_args()
    api, already_running = start_control_plane()
    install_crds(api)
    namespace = prepare_namespace(api)
    custom = client.CustomObjectsApi(api)
    command = [
        "run",
        "--standalone",
        "--namespace",
        namespace,
        "--quiet",
        "-m",
        "alpha_panda_operator.handlers",
    ]
    os.environ["ALPHA_PANDA_OPERATOR_NAMESPACES"] = namespace
    with KopfRunner(command, timeout=120):
        deadline = time.monotonic() + 30
        while (
            client.CustomObjectsApi(api)
            .get_namespaced_custom_object(GROUP, VERSION, namespace, "brokersessions", "paper")
            .get("status")
            or {}
        ).get("phase") != "Ready":
            if time.monotonic() > deadline:
                raise RuntimeError("the BrokerSession never became Ready")
            time.sleep(0.1)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(
                pool.map(
                    lambda i: custom.create_namespaced_custom_object(
                        GROUP, VERSION, namespace, "tradingstrategies", strategy(i)
                    ),
                    range(arguments.count),
                )
            )
        applied = time.monotonic() - started
        with_status = deployments = 0
        while time.monotonic() - started < BUDGET_SECONDS * 3:
            with_status, deployments = reconciled(api, namespace)
            if with_status == deployments == arguments.count:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    client.CoreV1Api(api).delete_namespace(namespace)
    if not already_running:
        subprocess.run([str(ROOT / "scripts/kube.sh"), "down"], check=False)
    print(
        f"{arguments.count} TradingStrategy resources applied in {applied:.1f} s; "
        f"{deployments} Deployments and {with_status} statuses after {elapsed:.1f} s "
        f"(budget {BUDGET_SECONDS:.0f} s)"
    )
    if not (with_status == deployments == arguments.count and elapsed <= BUDGET_SECONDS):
        sys.exit(1)


if __name__ == "__main__":
    main()
