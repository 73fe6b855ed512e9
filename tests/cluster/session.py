"""The trading session the cluster tests run: the release under test, the simulator's login,
the BrokerSessions and TradingStrategies applied, and readers of its ledger, groups and book."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from kiteconnect import KiteConnect
from kubernetes import client

from tests.cluster.support import is_ready, kubectl, port_forward, psql_json, serves

SIMULATOR = "svc/alpha-panda-kite-simulator"
SIM_ROOT = "http://alpha-panda-kite-simulator:8090"
API_KEY, API_SECRET = "simkey_dev", "simsecret_dev"
PAPER_STRATEGIES = ("momo", "cross")
LIVE_STRATEGY = "live-momo"


@dataclass
class Release:
    """The release under test and clients of its namespace."""

    cluster: dict[str, str]
    namespace: str
    core: client.CoreV1Api
    apps: client.AppsV1Api

    def kubectl(self, *arguments: str, stdin: str | None = None) -> str:
        """Run kubectl in the release's namespace."""
        return kubectl(self.cluster, "-n", self.namespace, *arguments, stdin=stdin)

    def pods(self, selector: str = "") -> list[client.V1Pod]:
        """Return the namespace's long-running pods that match a label selector."""
        found = self.core.list_namespaced_pod(self.namespace, label_selector=selector).items
        return [pod for pod in found if serves(pod) and not pod.metadata.deletion_timestamp]

    def all_ready(self, selector: str = "") -> list[client.V1Pod] | None:
        """Return the pods when every one is Ready, else None."""
        pods = self.pods(selector)
        return pods if pods and all(is_ready(pod) for pod in pods) else None

    def ledger(self, query: str) -> list[dict[str, Any]]:
        """Return rows of the release's PostgreSQL ledger."""
        return psql_json(self.cluster, self.namespace, query)


def simulator_login(port: int) -> str:
    """Log in through the simulator's Kite login flow; return the access token."""
    root = f"http://127.0.0.1:{port}"
    landing = requests.get(
        f"{root}/connect/login", params={"api_key": API_KEY, "v": "3"}, allow_redirects=False
    )
    assert landing.status_code == 302, landing.text
    request_token = parse_qs(urlparse(landing.headers["Location"]).query)["request_token"][0]
    kite = KiteConnect(API_KEY, root=root)
    return str(kite.generate_session(request_token, api_secret=API_SECRET)["access_token"])


def session_manifests(tokens: dict[str, int]) -> list[dict[str, Any]]:
    """Two BrokerSessions on the simulator (paper with the feed, zerodha without) and a
    strategy per session and type, with thresholds the simulator's moves cross in minutes."""

    def broker_session(name: str, broker: str, feed: bool) -> dict[str, Any]:
        spec = {
            "namespace": broker,
            "secretRef": {"name": "kite-credentials"},
            "marketFeed": feed,
            "kiteRoot": SIM_ROOT,
            "kiteWebsocketUrl": f"{SIM_ROOT.replace('http', 'ws')}/ws",
        }
        return {"kind": "BrokerSession", "metadata": {"name": name}, "spec": spec}

    def strategy(name: str, session: str, broker: str, kind: str, **parameters: Any) -> Any:
        instruments = [
            {"instrumentToken": tokens[symbol], "tradingSymbol": symbol, "exchange": "NSE"}
            for symbol in ("RELIANCE", "INFY", "HDFCBANK")
        ]
        spec = {
            "strategyType": kind,
            "namespace": broker,
            "brokerSessionRef": {"name": session},
            "instruments": instruments,
            "parameters": {"quantity": 1, "cooldown_seconds": 5, **parameters},
            "riskLimits": {
                "maxPositionQuantity": 10,
                "maxOrdersPerDay": 500,
                "maxDailyLoss": "100000",
            },
        }
        return {"kind": "TradingStrategy", "metadata": {"name": name}, "spec": spec}

    momentum = {"lookback": 4, "entry_percent": "0.02", "exit_percent": "0.005"}
    manifests = [
        broker_session("paper", "paper", True),
        broker_session("live", "zerodha", False),
        strategy("momo", "paper", "paper", "momentum", **momentum),
        strategy("cross", "paper", "paper", "ma_crossover", fast_window=2, slow_window=5),
        strategy(LIVE_STRATEGY, "live", "zerodha", "momentum", **momentum),
    ]
    return [{"apiVersion": "alphapanda.io/v1alpha1", **manifest} for manifest in manifests]


def traded(release: Release, broker: str, strategies: tuple[str, ...]) -> dict[str, int] | None:
    """Return the ledger's fills per strategy once every one of `strategies` has some."""
    rows = release.ledger(
        "SELECT strategy_id, count(*) AS fills FROM ledger_fills"
        f" WHERE namespace = '{broker}' GROUP BY strategy_id"
    )
    fills = {row["strategy_id"]: int(row["fills"]) for row in rows}
    return fills if all(fills.get(name) for name in strategies) else None


def pause(release: Release, *strategies: str) -> None:
    """Pause strategies the kubectl way: the operator scales their runners to zero."""
    for name in strategies:
        release.kubectl("patch", "ts", name, "--type", "merge", "-p", '{"spec":{"paused":true}}')


def settled_fills(release: Release, broker: str, quiet_seconds: float = 15) -> int:
    """Wait until the ledger's fills stop growing for `quiet_seconds`; return their number."""

    def count() -> int:
        query = f"SELECT count(*) AS n FROM ledger_fills WHERE namespace = '{broker}'"
        return int(release.ledger(query)[0]["n"])

    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet_seconds:
        time.sleep(3)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
    return last


GROUPS_SCRIPT = """
import asyncio, json, os
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v2

class DescribeGroupsV2(DescribeGroupsRequest):
    # aiokafka 0.14 reads a v3 answer with the v2 schema, which Kafka 4 then sends: ask for v2
    def build(self, request_struct_class):
        return DescribeGroupsRequest_v2(self._groups)

async def main():
    admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["ALPHA_PANDA_KAFKA_BOOTSTRAP"])
    await admin.start()
    try:
        members = {}
        for name, _ in await admin.list_consumer_groups():
            coordinator = await admin.find_coordinator(name)
            response = await admin._send_request(DescribeGroupsV2([name]), coordinator)
            for group in response.to_object()["groups"]:
                members[name] = [m["client_host"].lstrip("/") for m in group["members"]]
        print(json.dumps(members))
    finally:
        await admin.close()

asyncio.run(main())
"""


def consumer_groups(release: Release) -> dict[str, set[str]]:
    """Return each consumer group on the broker with its members' hosts (pod IPs), read with
    Kafka's admin API from inside the cluster (the API pod has the client and the address)."""
    output = release.kubectl("exec", "deploy/alpha-panda-api", "--", "python3", "-c", GROUPS_SCRIPT)
    return {group: set(hosts) for group, hosts in json.loads(output).items()}


def simulator_book(release: Release, token: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """Return the simulator's orders and trades, read with the Kite client."""
    with port_forward(release.cluster, release.namespace, SIMULATOR, 8090) as port:
        kite = KiteConnect(API_KEY, access_token=token, root=f"http://127.0.0.1:{port}")
        return kite.orders(), kite.trades()
