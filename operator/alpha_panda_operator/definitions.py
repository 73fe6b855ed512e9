"""Publish a TradingStrategy's definition to its session's definitions stream: the one live
source of truth the risk manager, the runner and the market feed follow."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from alpha_panda.core.topics import TopicMap
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from alpha_panda_operator.cluster import Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.models import TradingStrategySpec
from alpha_panda_operator.workloads import runner_configuration

logger = logging.getLogger(__name__)
SOURCE = "alpha-panda-operator"
PUBLISH_SECONDS = 10


def definition_of(name: str, spec: TradingStrategySpec) -> StrategyConfig:
    """Return the strategy definition a TradingStrategy's spec declares, pause included."""
    return StrategyConfig.model_validate(
        {**runner_configuration(name, spec), "paused": spec.paused}
    )


def definition_topics(scope: SessionScope, spec: TradingStrategySpec) -> TopicMap:
    """Return the topics of the session a strategy trades through."""
    return TopicMap(Namespace(str(spec.namespace)), scope.topic_prefix)


def _publish(
    config: OperatorConfig,
    topics: TopicMap,
    act: Callable[[DefinitionPublisher], Awaitable[object]],
) -> None:
    """Connect a publisher to the session's topics, `act` with it and disconnect, within
    `PUBLISH_SECONDS`. Runs in the outbox's thread, so it has a loop of its own."""
    publisher = DefinitionPublisher(config.kafka_bootstrap, topics, SOURCE)

    async def publish() -> None:
        await publisher.start()
        try:
            await act(publisher)
        finally:
            await publisher.close()

    asyncio.run(asyncio.wait_for(publish(), timeout=PUBLISH_SECONDS))


def publish_definition(
    config: OperatorConfig,
    scope: SessionScope,
    resource: Mapping[str, Any],
    spec: TradingStrategySpec,
) -> str | None:
    """Publish the resource's definition under its `metadata.generation`; return why it could
    not be published, or None."""
    name = resource["metadata"]["name"]
    generation = int(resource["metadata"].get("generation") or 1)
    definition = definition_of(name, spec)
    try:
        _publish(
            config,
            definition_topics(scope, spec),
            lambda publisher: publisher.define(definition, generation),
        )
    except Exception as error:  # the runner and risk fail closed until a later try succeeds
        logger.warning("definition of %s not published: %r", name, error)
        return f"{type(error).__name__}: {error}"
    return None


def publish_removal(
    config: OperatorConfig, scope: SessionScope, resource: Mapping[str, Any], namespace: str
) -> None:
    """Publish that a deleted TradingStrategy is retired (its ledger rows stay)."""
    name = resource["metadata"]["name"]
    generation = int(resource["metadata"].get("generation") or 1) + 1
    topics = TopicMap(Namespace(namespace), scope.topic_prefix)
    try:
        _publish(
            config,
            topics,
            lambda publisher: publisher.remove(name, Namespace(namespace), generation),
        )
    except Exception as error:  # logged; the risk manager keeps the strategy until it hears
        logger.warning("removal of %s not published: %r", name, error)


class Outbox:
    """Run publications one at a time in a background thread, so a reconcile never waits on
    Kafka, keeping only the latest publication asked for each strategy.

    A publication asked for while an earlier one for the same key still waits replaces it:
    the definitions topic is compacted, so only a strategy's latest word matters. The backlog
    is then at most one publication per strategy, however often resources are reconciled and
    however slow Kafka is, and a removal replaces a definition still waiting, so a deleted
    strategy is never defined again after its removal.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[Hashable, Callable[[], None]] = {}
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="definitions")

    def submit(self, key: Hashable, publication: Callable[[], None]) -> None:
        """Run `publication` after those asked for before it, unless a newer one for `key`
        replaces it first."""
        with self._lock:
            waiting = key in self._waiting
            self._waiting[key] = publication
        if not waiting:
            self._thread.submit(self._run, key)

    def _run(self, key: Hashable) -> None:
        with self._lock:
            publication = self._waiting.pop(key)
        publication()


OUTBOX = Outbox()


def strategy_key(scope: SessionScope, namespace: str, name: str) -> tuple[str, str]:
    """Return the outbox key of a strategy: its definitions topic and its id."""
    return TopicMap(Namespace(namespace), scope.topic_prefix).strategies, name


def publish_soon(
    cluster: Cluster,
    config: OperatorConfig,
    scope: SessionScope,
    resource: Mapping[str, Any],
    spec: TradingStrategySpec,
) -> None:
    """Publish the resource's definition in the background; a failure becomes a Warning event
    (the runner and the risk manager fail closed until a later reconcile publishes it)."""

    def publish() -> None:
        unpublished = publish_definition(config, scope, resource, spec)
        if unpublished is not None:
            cluster.record_event(resource, "DefinitionNotPublished", unpublished, warning=True)

    key = strategy_key(scope, str(spec.namespace), resource["metadata"]["name"])
    OUTBOX.submit(key, publish)


def retire_soon(
    config: OperatorConfig, scope: SessionScope, resource: Mapping[str, Any], namespace: str
) -> None:
    """Publish a deleted TradingStrategy's removal in the background, after (or instead of)
    any publication of its definition still waiting."""
    key = strategy_key(scope, namespace, resource["metadata"]["name"])
    OUTBOX.submit(key, lambda: publish_removal(config, scope, resource, namespace))
