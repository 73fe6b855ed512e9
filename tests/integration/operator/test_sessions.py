"""BrokerSession: credentials checked, shared services owned, live trading stopped at expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from kubernetes import client

from alpha_panda.domain.values import IST
from alpha_panda_operator import API_VERSION
from tests.integration.operator.conftest import ROOT
from tests.integration.operator.support import Resources, wait_for

pytestmark = pytest.mark.kube

LIVE_TRADING = ("live-market-feed", "live-trading-engine")


def session_document(expires_at: datetime | None = None, secret: str = "kite") -> dict:
    spec: dict = {"namespace": "zerodha", "secretRef": {"name": secret}}
    if expires_at is not None:
        spec["expiresAt"] = expires_at.isoformat()
    return {
        "apiVersion": API_VERSION,
        "kind": "BrokerSession",
        "metadata": {"name": "live"},
        "spec": spec,
    }


def strategy_document() -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": "TradingStrategy",
        "metadata": {"name": "live-rsi"},
        "spec": {
            "strategyType": "rsi_reversion",
            "namespace": "zerodha",
            "brokerSessionRef": {"name": "live"},
            "instruments": [
                {"instrumentToken": 2953217, "tradingSymbol": "TCS", "exchange": "NSE"}
            ],
            "riskLimits": {"maxPositionQuantity": 10, "maxDailyLoss": "2500"},
        },
    }


def session_phase(resources: Resources) -> str | None:
    return ((resources.session("live") or {}).get("status") or {}).get("phase")


def replicas(resources: Resources, name: str) -> int | None:
    deployment = resources.deployment(name)
    return None if deployment is None else deployment["spec"]["replicas"]


def config_hash(resources: Resources, name: str) -> str:
    template = resources.deployment(name)["spec"]["template"]
    return template["metadata"]["annotations"]["alphapanda.io/config-hash"]


def test_session_past_expiry_flips_to_expired_and_scales_live_trading_to_zero(
    operator, resources, kite
):
    resources.apply(kite.secret("kite"))
    resources.apply(session_document(expires_at=datetime.now(UTC) + timedelta(seconds=4)))
    resources.apply(strategy_document())
    wait_for(lambda: session_phase(resources) == "Ready", what="session Ready")
    for name in (*LIVE_TRADING, "strategy-runner-live-rsi"):
        wait_for(lambda n=name: replicas(resources, n) == 1, what=f"{name} running")
    wait_for(lambda: session_phase(resources) == "Expired", timeout=30, what="session Expired")
    for name in (*LIVE_TRADING, "strategy-runner-live-rsi"):
        wait_for(lambda n=name: replicas(resources, n) == 0, what=f"{name} scaled to zero")
    assert replicas(resources, "live-risk-manager") == 1
    conditions = {c["type"]: c for c in resources.session("live")["status"]["conditions"]}
    assert conditions["Expired"]["status"] == "True"
    assert conditions["Ready"]["status"] == "False"
    assert conditions["Valid"]["status"] == "True"
    wait_for(
        lambda: resources.strategy("live-rsi")["status"]["phase"] == "Halted",
        what="strategy Halted",
    )


def test_session_without_expiry_override_expires_at_the_next_six_am_ist(operator, resources, kite):
    resources.apply(kite.secret("kite"))
    resources.apply(session_document())
    wait_for(lambda: session_phase(resources) == "Ready", what="session Ready")
    expires_at = datetime.fromisoformat(resources.session("live")["status"]["expiresAt"])
    local = expires_at.astimezone(IST)
    assert (local.hour, local.minute) == (6, 0)
    assert timedelta(0) < expires_at - datetime.now(UTC) <= timedelta(days=1)


def test_missing_secret_makes_the_session_invalid_and_keeps_trading_stopped(
    operator, resources, kite
):
    resources.apply(session_document(secret="absent"))
    wait_for(lambda: session_phase(resources) == "Invalid", what="session Invalid")
    for name in LIVE_TRADING:
        assert replicas(resources, name) == 0
    valid = next(
        c for c in resources.session("live")["status"]["conditions"] if c["type"] == "Valid"
    )
    assert (valid["status"], valid["reason"]) == ("False", "SecretNotFound")
    resources.apply(kite.secret("absent"))
    wait_for(
        lambda: session_phase(resources) == "Ready",
        timeout=30,
        what="the resync to notice the new Secret",
    )
    for name in LIVE_TRADING:
        wait_for(lambda n=name: replicas(resources, n) == 1, what=f"{name} started")


def test_new_token_in_the_secret_rolls_the_kite_clients(operator, resources, kite):
    resources.apply(kite.secret("kite"))
    resources.apply(session_document())
    wait_for(lambda: session_phase(resources) == "Ready", what="session Ready")
    before = {
        name: config_hash(resources, name) for name in ("live-trading-engine", "live-risk-manager")
    }
    resources.apply(kite.secret("kite"))
    wait_for(
        lambda: config_hash(resources, "live-trading-engine") != before["live-trading-engine"],
        timeout=30,
        what="trading engine rolled",
    )
    assert config_hash(resources, "live-risk-manager") == before["live-risk-manager"]


def test_market_feed_is_removed_when_the_session_stops_providing_live_data(
    operator, resources, kite
):
    resources.apply(kite.secret("kite"))
    resources.apply(session_document())
    wait_for(lambda: resources.deployment("live-market-feed"), what="market feed")
    document = session_document()
    document["spec"]["marketFeed"] = False
    resources.apply(document)
    wait_for(lambda: resources.deployment("live-market-feed") is None, what="feed removed")
    assert resources.deployment("live-trading-engine") is not None


def test_every_example_applies_and_reconciles(operator, resources, kite):
    resources.apply(kite.secret("kite-credentials"))
    documents = [
        doc
        for path in sorted((ROOT / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and "apiVersion" in doc  # examples/ also holds non-Kubernetes configuration
    ]
    applied = [resources.apply(doc) for doc in documents]
    sessions = [doc["metadata"]["name"] for doc in applied if doc["kind"] == "BrokerSession"]
    strategies = [doc["metadata"]["name"] for doc in applied if doc["kind"] == "TradingStrategy"]
    assert len(sessions) >= 2 and len(strategies) >= 2
    for name in sessions:
        wait_for(
            lambda n=name: (resources.session(n).get("status") or {}).get("phase") == "Ready",
            what=f"example session {name} Ready",
        )
    for name in strategies:
        wait_for(
            lambda n=name: (resources.strategy(n).get("status") or {}).get("phase") == "Pending",
            what=f"example strategy {name} Pending",
        )
    feeds = [name for name in sessions if resources.deployment(f"{name}-market-feed")]
    assert feeds == ["paper"], "exactly one session runs the shared market feed"


def test_token_kite_refuses_makes_the_session_not_ready_until_a_good_one_arrives(
    operator, resources, kite
):
    resources.apply(kite.refused_secret("kite"))
    resources.apply(session_document())
    wait_for(lambda: session_phase(resources) == "Invalid", what="session Invalid")
    valid = next(
        c for c in resources.session("live")["status"]["conditions"] if c["type"] == "Valid"
    )
    assert (valid["status"], valid["reason"]) == ("False", "TokenRejected")
    for name in LIVE_TRADING:
        assert replicas(resources, name) == 0
    rejected_hash = config_hash(resources, "live-trading-engine")
    resources.apply(kite.secret("kite"))
    wait_for(lambda: session_phase(resources) == "Ready", timeout=30, what="session Ready")
    for name in LIVE_TRADING:
        wait_for(lambda n=name: replicas(resources, n) == 1, what=f"{name} started")
    assert config_hash(resources, "live-trading-engine") != rejected_hash


def test_second_session_of_a_broker_namespace_is_refused_with_a_warning(
    operator, resources, kite, api_client
):
    resources.apply(kite.secret("kite"))
    resources.apply(session_document())
    wait_for(lambda: session_phase(resources) == "Ready", what="first session Ready")
    second = session_document()
    second["metadata"]["name"] = "live-again"
    second["spec"]["marketFeed"] = False
    resources.apply(second)
    wait_for(
        lambda: (
            ((resources.session("live-again") or {}).get("status") or {}).get("phase") == "Refused"
        ),
        what="second session Refused",
    )
    isolated = next(
        c
        for c in resources.session("live-again")["status"]["conditions"]
        if c["type"] == "Isolated"
    )
    assert (isolated["status"], isolated["reason"]) == ("False", "SharesLedger")
    for service in ("risk-manager", "trading-engine", "portfolio-manager"):
        assert replicas(resources, f"live-again-{service}") == 0
        assert replicas(resources, f"live-{service}") == 1
    assert session_phase(resources) == "Ready"
    events = client.CoreV1Api(api_client).list_namespaced_event(
        resources.namespace, field_selector="involvedObject.name=live-again,type=Warning"
    )
    assert "Refused" in {event.reason for event in events.items}


def test_sessions_of_two_namespaces_get_their_own_topics_and_groups(
    operator, resources, kite, dynamic_client, api_client
):
    core = client.CoreV1Api(api_client)
    other_namespace = f"{resources.namespace}-b"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=other_namespace)))
    try:
        other = Resources(dynamic_client, other_namespace)
        for target in (resources, other):
            target.apply(kite.secret("kite"))
            target.apply(session_document())
        for target in (resources, other):
            wait_for(lambda t=target: session_phase(t) == "Ready", what="both sessions Ready")

        def names(target: Resources) -> tuple[str, str]:
            container = target.deployment("live-risk-manager")["spec"]["template"]["spec"]
            env = {e["name"]: e.get("value") for e in container["containers"][0]["env"]}
            return env["ALPHA_PANDA_GROUP_PREFIX"], env["ALPHA_PANDA_TOPIC_PREFIX"]

        assert names(resources) == (
            f"alpha-panda.{resources.namespace}.live.zerodha",
            f"{resources.namespace}.live.",
        )
        assert names(other)[0] != names(resources)[0]
        assert names(other)[1] != names(resources)[1]
    finally:
        core.delete_namespace(other_namespace)


def test_expiry_column_shows_the_time_before_the_session_expires(operator, resources, kite):
    resources.apply(kite.secret("kite"))
    resources.apply(session_document())
    wait_for(lambda: session_phase(resources) == "Ready", what="session Ready")
    _, rows = resources.table("brokersessions")
    row = rows["live"]
    expires_at = resources.session("live")["status"]["expiresAt"]
    assert datetime.fromisoformat(expires_at) > datetime.now(UTC)
    assert row["Expires"] == expires_at


def test_the_one_market_feed_follows_the_definitions_of_every_session_of_its_namespace(
    operator, resources, kite
):
    resources.apply(kite.secret("kite"))
    resources.apply(kite.secret("kite-credentials"))
    resources.apply(session_document())  # zerodha "live", with the market feed
    paper = yaml.safe_load((ROOT / "examples" / "broker-session-paper.yaml").read_text())
    paper["spec"]["marketFeed"] = False  # ticks come from the live session's feed
    resources.apply(paper)

    def followed() -> list[str] | None:
        feed = resources.deployment("live-market-feed")
        if feed is None:
            return None
        container = feed["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        return (env.get("ALPHA_PANDA_FEED_DEFINITION_TOPICS") or "").split(",")

    namespace = resources.namespace
    expected = [f"{namespace}.live.zerodha.strategies", f"{namespace}.paper.paper.strategies"]
    wait_for(lambda: followed() == expected, what="the feed following both sessions")
    assert resources.deployment("paper-market-feed") is None
