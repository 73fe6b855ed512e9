"""Publish strategy definitions: the path by which the operator, the CLI and the API (outside
Kubernetes) say what trades. Each namespace's compacted `strategies` topic keeps, per strategy
id, its latest definition; a removal is an event followed by a tombstone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from alpha_panda.core.events import EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, Publisher
from alpha_panda.core.streaming.bootstrap import ensure_named_topics, topic_exists
from alpha_panda.core.streaming.compacted import read_latest
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined, StrategyRemoved
from alpha_panda.domain.values import Namespace


def clock_generation(at: datetime) -> int:
    """Return a generation from the clock (milliseconds), for sources other than the operator,
    whose definitions carry the resource's own `metadata.generation` instead."""
    return int(at.timestamp() * 1000)


class DefinitionPublisher:
    """Publish and read the definitions of every namespace of a deployment."""

    def __init__(self, bootstrap: str, topics: TopicMap, source: str) -> None:
        """Publish to the definitions topics of `topics`'s deployment, as `source`."""
        self._bootstrap = bootstrap
        self._topics = topics
        self._publisher = Publisher(bootstrap, source=source, namespace=topics.namespace.value)

    @classmethod
    def from_settings(cls, settings: Settings) -> DefinitionPublisher:
        """Return the publisher of a process's own deployment."""
        return cls(settings.kafka_bootstrap, settings.topics, settings.service_name)

    def topics(self, namespace: Namespace) -> TopicMap:
        """Return the topics of `namespace` in this deployment."""
        return replace(self._topics, namespace=namespace)

    async def start(self) -> None:
        """Connect to Kafka."""
        await self._publisher.start()

    async def close(self) -> None:
        """Deliver what was published and disconnect."""
        await self._publisher.close()

    async def define(
        self, config: StrategyConfig, generation: int | None = None
    ) -> StrategyDefined:
        """Publish a strategy's whole definition and return once Kafka acknowledged it."""
        now = datetime.now(UTC)
        defined = StrategyDefined(
            config=config, generation=generation or clock_generation(now), defined_at=now
        )
        topic = self.topics(config.namespace).strategies
        # A strategy may be defined before any service of its namespace created the topic; a
        # send to a missing topic would wait for it until timing out.
        await ensure_named_topics(self._bootstrap, [topic])
        item = Outgoing(topic, EventType.STRATEGY_DEFINED, defined, config.namespace.value)
        await self._publisher.publish([item])
        await self._publisher.flush()
        return defined

    async def remove(
        self, strategy_id: str, namespace: Namespace, generation: int | None = None
    ) -> StrategyRemoved | None:
        """Publish a strategy's removal, then the tombstone that compacts its key away; None
        when the namespace has no definitions topic, so nothing defined there to retire."""
        topic = self.topics(namespace).strategies
        if not await topic_exists(self._bootstrap, topic):
            return None
        now = datetime.now(UTC)
        removed = StrategyRemoved(
            strategy_id=strategy_id,
            namespace=namespace,
            generation=generation or clock_generation(now),
            removed_at=now,
        )
        item = Outgoing(topic, EventType.STRATEGY_REMOVED, removed, namespace.value)
        await self._publisher.publish([item])
        await self._publisher.flush()
        await self._publisher.send_record(topic, strategy_id.encode(), None, ())
        return removed

    async def current(self, namespace: Namespace) -> dict[str, StrategyDefined]:
        """Return the definitions in force in `namespace`, by strategy id."""
        latest = await read_latest(self._bootstrap, self.topics(namespace).strategies)
        return {
            key: event.data
            for key, event in sorted(latest.items())
            if isinstance(event.data, StrategyDefined)
        }

    async def set_paused(
        self, strategy_id: str, namespace: Namespace, paused: bool
    ) -> StrategyDefined | None:
        """Publish the strategy's definition with `paused` set; None if it is not defined."""
        known = (await self.current(namespace)).get(strategy_id)
        if known is None:
            return None
        if known.config.paused == paused:
            return known
        return await self.define(known.config.model_copy(update={"paused": paused}))
