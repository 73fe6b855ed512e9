"""Every Kafka topic name of the platform; no other module spells one."""

from __future__ import annotations

from dataclasses import dataclass

from alpha_panda.domain.values import Namespace

MARKET_TICKS = "market.ticks"
_NAMESPACES = frozenset(namespace.value for namespace in Namespace)
DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicMap:
    """Topic names of one broker namespace; paper and zerodha never share a topic."""

    namespace: Namespace
    prefix: str = ""
    """Deployment prefix (e.g. `staging.`) letting several environments share one cluster."""
    market_prefix: str | None = None
    """Prefix of the market topic when it differs: sessions of one deployment share ticks."""

    def _topic(self, name: str) -> str:
        return f"{self.prefix}{self.namespace.value}.{name}"

    @property
    def market_scope(self) -> str:
        """Return the prefix the market topic (and what describes the feed) is named under."""
        return self.prefix if self.market_prefix is None else self.market_prefix

    @property
    def market_ticks(self) -> str:
        """Return the market topic, shared by every namespace of the deployment."""
        return self.market_scope + MARKET_TICKS

    @property
    def signals_raw(self) -> str:
        return self._topic("signals.raw")

    @property
    def signals_validated(self) -> str:
        return self._topic("signals.validated")

    @property
    def signals_rejected(self) -> str:
        return self._topic("signals.rejected")

    @property
    def orders_placed(self) -> str:
        return self._topic("orders.placed")

    @property
    def orders_filled(self) -> str:
        return self._topic("orders.filled")

    @property
    def orders_failed(self) -> str:
        return self._topic("orders.failed")

    @property
    def order_updates(self) -> str:
        """Return the topic of the broker's order updates (the zerodha namespace's orders)."""
        return self._topic("orders.updates")

    @property
    def control(self) -> str:
        """Return the topic of kill-switch commands."""
        return self._topic("control")

    @property
    def strategies(self) -> str:
        """Return the compacted topic of strategy definitions, keyed by strategy id."""
        return self._topic("strategies")

    def owner_of(self, topic: str) -> str | None:
        """Return the namespace a topic of this deployment belongs to; None for shared ones."""
        name = topic.removeprefix(self.prefix)
        first = name.split(".", 1)[0]
        return first if first in _NAMESPACES and name != first else None

    def namespaced(self) -> list[str]:
        """Return the topics owned by this namespace."""
        return [
            self.signals_raw,
            self.signals_validated,
            self.signals_rejected,
            self.orders_placed,
            self.orders_filled,
            self.orders_failed,
            self.order_updates,
            self.control,
            self.strategies,
        ]

    def all_topics(self) -> list[str]:
        """Return the namespace's topics, the shared market topic and every `.dlq` companion."""
        main = [self.market_ticks, *self.namespaced()]
        return main + [dlq(topic) for topic in main]


def dead_letter_topics(prefix: str = "") -> frozenset[str]:
    """Return every `.dlq` topic of a deployment: each namespace's and the market topic's."""
    return frozenset(
        topic
        for namespace in Namespace
        for topic in TopicMap(namespace, prefix).all_topics()
        if is_dlq(topic)
    )


def is_compacted(topic: str) -> bool:
    """Tell whether a topic keeps only the latest record per key (the strategy definitions)."""
    return topic.endswith(".strategies")


def dlq(topic: str) -> str:
    """Return the dead-letter companion of a topic."""
    return topic + DLQ_SUFFIX


def is_dlq(topic: str) -> bool:
    """Tell whether a topic is a dead-letter topic."""
    return topic.endswith(DLQ_SUFFIX)


def original_of(dlq_topic: str) -> str:
    """Return the topic whose dead letters a `.dlq` topic holds."""
    if not is_dlq(dlq_topic):
        raise ValueError(f"{dlq_topic!r} is not a dead-letter topic")
    return dlq_topic.removesuffix(DLQ_SUFFIX)
