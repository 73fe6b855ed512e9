"""The isolation rule: a BrokerSession's topics, cache keys and consumer groups derive from it.

Every name a session's services or strategy runners use on the shared Kafka and Redis comes
from here and nowhere else: the Kubernetes namespace and the session's name are part of each,
so two sessions, or two namespaces' strategies of the same name, never share one. The market
topic is the one thing the sessions of a Kubernetes namespace share: its single market feed
publishes there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alpha_panda_operator.status import Observation

MAX_GROUP_PREFIX = 63
"""The services refuse a longer `ALPHA_PANDA_GROUP_PREFIX`."""

MAX_TOPIC_PREFIX = 120
"""Kafka topic names stop at 249 characters; the prefix keeps room for the rest and `.dlq`."""


@dataclass(frozen=True)
class SessionScope:
    """Where a BrokerSession's services live: Kubernetes namespace, session and broker namespace."""

    kubernetes_namespace: str
    session: str
    broker_namespace: str

    @property
    def topic_prefix(self) -> str:
        """Return the prefix of the session's topics and cache keys."""
        return f"{self.kubernetes_namespace}.{self.session}."

    @property
    def market_topic_prefix(self) -> str:
        """Return the prefix of the market topic shared by the namespace's sessions."""
        return f"{self.kubernetes_namespace}."

    def group_prefix(self, base: str) -> str:
        """Return the consumer group prefix of the session's services under `base`."""
        return f"{base}.{self.kubernetes_namespace}.{self.session}.{self.broker_namespace}"

    def consumer_group(self, base: str, service_name: str) -> str:
        """Return the consumer group of one service (or strategy runner) of the session."""
        return f"{self.group_prefix(base)}.{service_name}"

    def problem(self, base: str) -> str | None:
        """Return why the derived names cannot be used, or None when they can."""
        group_prefix = self.group_prefix(base)
        if len(group_prefix) > MAX_GROUP_PREFIX:
            return (
                f"consumer group prefix {group_prefix!r} is longer than {MAX_GROUP_PREFIX} "
                "characters: shorten the BrokerSession's or the Kubernetes namespace's name"
            )
        if "." in self.session or len(self.topic_prefix) > MAX_TOPIC_PREFIX:
            return "the BrokerSession's name must be a DNS label (no dots) of up to 63 characters"
        return None


def scope_of(resource: Mapping[str, Any]) -> SessionScope:
    """Return the scope of a BrokerSession resource."""
    metadata = resource["metadata"]
    return SessionScope(metadata["namespace"], metadata["name"], resource["spec"]["namespace"])


def isolation_observation(
    session: Mapping[str, Any], others: Sequence[Mapping[str, Any]]
) -> Observation:
    """Return whether `session` is isolated from the earlier sessions of its namespace.

    Sessions of one Kubernetes namespace share its infrastructure Secret, so its PostgreSQL
    ledger (rows keyed by broker namespace), and the namespace's market topic. Of two that
    would share either, the one created first (then by name) keeps running; the other is
    refused.
    """
    name = session["metadata"]["name"]
    for other in sorted(others, key=_age):
        if other["metadata"]["name"] == name or _age(other) >= _age(session):
            continue
        if other["metadata"].get("deletionTimestamp"):
            continue
        other_name = other["metadata"]["name"]
        if other["spec"].get("namespace") == session["spec"]["namespace"]:
            return Observation(
                "Isolated",
                False,
                "SharesLedger",
                f"BrokerSession {other_name} already trades the {session['spec']['namespace']} "
                "broker namespace here, on the same Kafka and ledger: use another Kubernetes "
                "namespace for a second session",
            )
        if _runs_feed(other) and _runs_feed(session):
            return Observation(
                "Isolated",
                False,
                "SharesMarketFeed",
                f"BrokerSession {other_name} already runs this namespace's market feed: "
                "set spec.marketFeed to false",
            )
    return Observation(
        "Isolated", True, "OwnTopicsAndGroups", "no other session shares its topics or ledger"
    )


def _runs_feed(session: Mapping[str, Any]) -> bool:
    return bool(session["spec"].get("marketFeed", True))


def _age(session: Mapping[str, Any]) -> tuple[str, str]:
    metadata = session["metadata"]
    return (str(metadata.get("creationTimestamp", "")), str(metadata["name"]))
