"""A trading session on kind: `kubectl apply` of BrokerSessions and TradingStrategies, pods run
by the kubelet, checked against the ledger in the cluster's PostgreSQL, the consumer groups on
its Kafka and the order book of its Kite simulator.

The tests of this module run in order on one release: trade, read P&L and groups, repair a
hand-edited Deployment, kill every service's pod mid-session, take PostgreSQL away, and last
`helm uninstall`. Every figure they print is recorded in docs/cluster.md.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import yaml
from kiteconnect import KiteConnect
from kubernetes import client

from alpha_panda.domain.execution.tags import is_order_tag, order_tag
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.values import Namespace, Side
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.workloads import (
    SharedService,
    service_deployment_name,
    strategy_deployment_name,
    strategy_service_name,
)
from tests.cluster.session import (
    API_KEY,
    LIVE_STRATEGY,
    PAPER_STRATEGIES,
    SIMULATOR,
    Release,
    consumer_groups,
    pause,
    session_manifests,
    settled_fills,
    simulator_book,
    simulator_login,
    traded,
)
from tests.cluster.support import (
    helm,
    install,
    is_ready,
    pod_summary,
    port_forward,
    wait_for,
)

pytestmark = pytest.mark.cluster

RESYNC_SECONDS = 10
READY_SECONDS = 240
TRADE_SECONDS = 420
GROUP_PREFIX = "alpha-panda"


@pytest.fixture(scope="module")
def release(cluster, images, api_client) -> Iterator[Release]:
    """Install the chart with the development profile, the simulator at real-time pace."""
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    # at speed 1 the simulated NSE session stays open for hours, not minutes
    install(
        cluster,
        namespace,
        images["values"],
        "dev.kiteSimulator.speed=1",
        f"operator.resyncSeconds={RESYNC_SECONDS}",
    )
    installed = Release(
        cluster, namespace, client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    )
    wait_for(installed.all_ready, READY_SECONDS, "every pod of the release Ready")
    print(f"\nrelease Ready {time.monotonic() - started:.1f} s after helm install")
    yield installed
    subprocess.run(
        [cluster["HELM"], "uninstall", "alpha-panda", "-n", namespace, "--wait"],
        capture_output=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "KUBECONFIG": cluster["KUBECONFIG"]},
    )
    installed.core.delete_namespace(namespace)


@pytest.fixture(scope="module")
def session(release) -> dict[str, Any]:
    """Store a simulator access token and `kubectl apply` the sessions and strategies."""
    with port_forward(release.cluster, release.namespace, SIMULATOR, 8090) as port:
        token = simulator_login(port)
        kite = KiteConnect(API_KEY, access_token=token, root=f"http://127.0.0.1:{port}")
        tokens = {row["tradingsymbol"]: int(row["instrument_token"]) for row in kite.instruments()}
    release.kubectl(
        "create",
        "secret",
        "generic",
        "kite-credentials",
        f"--from-literal=api_key={API_KEY}",
        f"--from-literal=access_token={token}",
    )
    release.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(session_manifests(tokens)))
    return {"access_token": token, "started": time.monotonic()}


def test_two_paper_strategies_trade_and_get_ts_shows_the_ledgers_pnl(release, session):
    fills = wait_for(
        lambda: traded(release, "paper", PAPER_STRATEGIES),
        TRADE_SECONDS,
        "both paper strategies have fills in the ledger",
        every=5,
    )
    print(
        f"\nboth paper strategies filled {time.monotonic() - session['started']:.1f} s "
        f"after kubectl apply: {fills}"
    )
    pause(release, *PAPER_STRATEGIES)
    booked = settled_fills(release, "paper")
    rows = release.ledger(
        "SELECT fill_id, order_id, strategy_id, instrument_token, side, quantity, price, charges,"
        " filled_at FROM ledger_fills WHERE namespace = 'paper' ORDER BY filled_at, fill_id"
    )
    assert len(rows) == booked

    def shown() -> dict[str, Any] | None:
        listed = yaml.safe_load(release.kubectl("get", "ts", "-o", "yaml"))["items"]
        status = {ts["metadata"]["name"]: (ts.get("status") or {}) for ts in listed}
        trading = {name: status[name].get("trading") or {} for name in PAPER_STRATEGIES}
        counted = Counter(row["strategy_id"] for row in rows)
        done = all(trading[name].get("fills") == counted[name] for name in PAPER_STRATEGIES)
        return trading if done else None

    trading = wait_for(shown, 60, "status.trading counts every ledger fill", every=2)
    table = release.kubectl("get", "ts")
    print(f"\n{table}")
    for name in PAPER_STRATEGIES:
        portfolio = Portfolio(PortfolioConfig(namespace=Namespace.PAPER))
        for row in rows:
            portfolio.apply_fill(OrderFilled(**{**row, "side": Side(row["side"])}))
        figures = trading[name]
        for position in figures.get("positions") or []:
            portfolio.mark_price(int(position["instrumentToken"]), Decimal(position["lastPrice"]))
        summary = portfolio.strategy_summary(name)
        assert Decimal(figures["realizedPnl"]) == summary.realized_pnl, name
        assert Decimal(figures["charges"]) == summary.charges, name
        assert Decimal(figures["netPnl"]) == summary.net_pnl, (name, figures)
        held = {(p.instrument_token, p.quantity) for p in portfolio.open_positions(name)}
        assert held == {(p["instrumentToken"], p["quantity"]) for p in figures["positions"]}
        line = next(row for row in table.splitlines() if row.startswith(f"{name} "))
        assert f" {figures['netPnl']} " in f" {line} ", (line, figures["netPnl"])


def test_each_pod_consumes_in_the_group_derived_from_its_resource(release, session):
    groups = consumer_groups(release)
    print(f"\nconsumer groups: {sorted(groups)}")
    paper = SessionScope(release.namespace, "paper", "paper")
    live = SessionScope(release.namespace, "live", "zerodha")
    expected = {
        service_deployment_name(scope.session, service): scope.consumer_group(
            GROUP_PREFIX, str(service)
        )
        for scope in (paper, live)
        for service in SharedService
        if scope is paper or service is not SharedService.MARKET_FEED  # live runs no feed
    }
    for name, scope in (*((n, paper) for n in PAPER_STRATEGIES), (LIVE_STRATEGY, live)):
        expected[strategy_deployment_name(name)] = scope.consumer_group(
            GROUP_PREFIX, strategy_service_name(name)
        )
    # every group on the broker is one of these: none shared, none left un-namespaced
    assert set(groups) == set(expected.values())
    for deployment, group in expected.items():
        pods = [p for p in release.pods() if p.metadata.name.startswith(f"{deployment}-")]
        # a paused strategy's runner is scaled to zero: its group stays, without members
        assert {p.status.pod_ip for p in pods} == groups[group], (deployment, group)


def test_kubectl_set_image_is_undone_within_one_resync(release, session):
    name = service_deployment_name("paper", SharedService.RISK_MANAGER)
    deployment = release.apps.read_namespaced_deployment(name, release.namespace)
    image = deployment.spec.template.spec.containers[0].image
    release.kubectl("set", "image", f"deploy/{name}", "risk-manager=evil/miner:latest")
    edited = time.monotonic()

    def repaired() -> bool:
        current = release.apps.read_namespaced_deployment(name, release.namespace)
        return current.spec.template.spec.containers[0].image == image

    wait_for(repaired, RESYNC_SECONDS + 20, f"{name}'s image back to {image}", every=0.5)
    seconds = time.monotonic() - edited
    print(f"\nset image repaired after {seconds:.1f} s (resync every {RESYNC_SECONDS} s)")
    assert seconds <= RESYNC_SECONDS + 5
    wait_for(
        lambda: release.all_ready(f"app.kubernetes.io/component={SharedService.RISK_MANAGER}"),
        READY_SECONDS,
        f"{name} Ready again",
    )


def test_killing_each_service_mid_session_loses_and_duplicates_nothing(release, session):
    wait_for(
        lambda: traded(release, "zerodha", (LIVE_STRATEGY,)),
        TRADE_SECONDS,
        "the zerodha strategy has fills from the simulator",
        every=5,
    )
    targets = [service_deployment_name("paper", SharedService.MARKET_FEED)]
    targets += [
        service_deployment_name("live", service)
        for service in (
            SharedService.RISK_MANAGER,
            SharedService.TRADING_ENGINE,
            SharedService.PORTFOLIO_MANAGER,
        )
    ]
    targets.append(strategy_deployment_name(LIVE_STRATEGY))
    for deployment in targets:
        [pod] = [p for p in release.pods() if p.metadata.name.startswith(f"{deployment}-")]
        killed = time.monotonic()
        release.kubectl("delete", "pod", pod.metadata.name, "--wait=false")
        replaced = wait_for(
            lambda deployment=deployment, old=pod.metadata.name: [
                p
                for p in release.pods()
                if p.metadata.name.startswith(f"{deployment}-")
                and p.metadata.name != old
                and is_ready(p)
            ],
            READY_SECONDS,
            f"a Ready replacement of {deployment}",
        )
        print(f"\n{deployment}: replacement Ready {time.monotonic() - killed:.1f} s after delete")
        assert len(replaced) == 1
    before = len(release.ledger("SELECT 1 FROM ledger_orders WHERE namespace = 'zerodha'"))
    wait_for(
        lambda: (
            len(release.ledger("SELECT 1 FROM ledger_orders WHERE namespace = 'zerodha'")) > before
        ),
        TRADE_SECONDS,
        "orders placed after the last kill",
        every=5,
    )
    pause(release, LIVE_STRATEGY)
    settled_fills(release, "zerodha", quiet_seconds=30)
    orders, trades = simulator_book(release, session["access_token"])
    tags = Counter(order["tag"] for order in orders if is_order_tag(order.get("tag")))
    ledger_orders = release.ledger(
        "SELECT order_id, reason FROM ledger_orders WHERE namespace = 'zerodha'"
    )
    ledger_fills = release.ledger(
        "SELECT fill_id, instrument_token, side, quantity FROM ledger_fills"
        " WHERE namespace = 'zerodha'"
    )
    print(
        f"\nsimulator: {len(tags)} tagged orders, {len(trades)} trades; ledger: "
        f"{len(ledger_orders)} orders, {len(ledger_fills)} fills"
    )
    assert tags and all(count == 1 for count in tags.values()), tags.most_common(3)
    booked = {order_tag(row["order_id"]) for row in ledger_orders}
    assert set(tags) <= booked, f"broker orders missing from the ledger: {set(tags) - booked}"
    placed = {order_tag(row["order_id"]) for row in ledger_orders if row["reason"] is None}
    assert placed <= set(tags), f"ledger orders the broker never saw: {placed - set(tags)}"
    assert sorted(str(t["trade_id"]) for t in trades) == sorted(
        str(row["fill_id"]) for row in ledger_fills
    )
    at_broker: Counter[int] = Counter()
    for trade in trades:
        sign = 1 if trade["transaction_type"] == "BUY" else -1
        at_broker[int(trade["instrument_token"])] += sign * int(trade["quantity"])
    in_ledger: Counter[int] = Counter()
    for row in ledger_fills:
        sign = 1 if row["side"] == "BUY" else -1
        in_ledger[int(row["instrument_token"])] += sign * int(row["quantity"])
    assert {k: v for k, v in at_broker.items() if v} == {k: v for k, v in in_ledger.items() if v}


def test_readiness_takes_a_pod_out_while_its_postgresql_is_down(release, session):
    # the development PostgreSQL has no persistence: this runs after the ledger checks
    portfolio = f"app.kubernetes.io/component={SharedService.PORTFOLIO_MANAGER}"
    wait_for(lambda: release.all_ready(portfolio), READY_SECONDS, "portfolio managers Ready")
    release.kubectl("scale", "deploy/alpha-panda-postgres", "--replicas=0")
    stopped = time.monotonic()
    wait_for(
        lambda: all(not is_ready(p) for p in release.pods(portfolio)),
        120,
        "the portfolio managers not Ready without PostgreSQL",
    )
    print(f"\nportfolio managers not Ready {time.monotonic() - stopped:.1f} s after scale to 0")
    api = release.pods("app.kubernetes.io/component=api")
    assert api and not any(is_ready(p) for p in api), pod_summary(api)
    release.kubectl("scale", "deploy/alpha-panda-postgres", "--replicas=1")
    back = time.monotonic()
    wait_for(lambda: release.all_ready(portfolio), READY_SECONDS, "portfolio managers Ready again")
    print(f"portfolio managers Ready {time.monotonic() - back:.1f} s after scale to 1")


def test_helm_uninstall_with_sessions_running_leaves_nothing_behind(release, session):
    helm(release.cluster, "uninstall", "alpha-panda", "-n", release.namespace, "--wait")

    def left() -> list[str]:
        kept = {"kite-credentials"}  # created with kubectl by the user, not by the release
        return [
            *(
                f"Deployment/{d.metadata.name}"
                for d in release.apps.list_namespaced_deployment(release.namespace).items
            ),
            *(
                f"Service/{s.metadata.name}"
                for s in release.core.list_namespaced_service(release.namespace).items
            ),
            *(
                f"Secret/{s.metadata.name}"
                for s in release.core.list_namespaced_secret(release.namespace).items
                if s.metadata.name not in kept
            ),
            *(
                f"Pod/{p.metadata.name}"
                for p in release.core.list_namespaced_pod(release.namespace).items
            ),
        ]

    remaining: list[str] = []

    def nothing_left() -> bool:
        remaining[:] = left()
        return not remaining

    started = time.monotonic()
    try:
        wait_for(nothing_left, 120, "nothing of the release left")
    except AssertionError:
        raise AssertionError(f"left behind: {remaining}") from None
    print(f"\nuninstalled, nothing left {time.monotonic() - started:.1f} s after helm returned")
    crds = client.ApiextensionsV1Api(release.core.api_client).list_custom_resource_definition()
    assert not [c.metadata.name for c in crds.items if c.spec.group == "alphapanda.io"]
