"""Publish a TradingStrategy's definition to its session's definitions stream: the one live
source of truth the risk manager, the runner and the market feed follow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
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


def definition_of(name: str, spec: TradingStrategySpec) -> StrategyConfig:
    """Return the strategy definition a TradingStrategy's spec declares, pause included."""
    return StrategyConfig.model_validate(
        {**runner_configuration(name, spec), "paused": spec.paused}
    )


def definition_topics(scope: SessionScope, spec: TradingStrategySpec) -> TopicMap:
    """Return the topics of the session a strategy trades through."""
    return TopicMap(Namespace(str(spec.namespace)), scope.topic_prefix)


def publish_definition(
    config: OperatorConfig,
    scope: SessionScope,
    resource: Mapping[str, Any],
    spec: TradingStrategySpec,
) -> str | None:
    """Publish the resource's definition under its `metadata.generation`; return why it could
    not be published, or None. Runs in kopf's handler threads, so it has a loop of its own."""
    name = resource["metadata"]["name"]
    generation = int(resource["metadata"].get("generation") or 1)
    publisher = DefinitionPublisher(config.kafka_bootstrap, definition_topics(scope, spec), SOURCE)

    async def publish() -> None:
        await publisher.start()
        try:
            await publisher.define(definition_of(name, spec), generation)
        finally:
            await publisher.close()

    try:
        asyncio.run(asyncio.wait_for(publish(), timeout=10))
    except Exception as error:  # the runner and risk fail closed until a later try succeeds
        logger.warning("definition of %s not published: %r", name, error)
        return f"{type(error).__name__}: {error}"
    return None


_PUBLISHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="definitions")
"""One thread publishes definitions in order, so a reconcile never waits on Kafka."""


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

    _PUBLISHING.submit(publish)


def publish_removal(
    config: OperatorConfig, scope: SessionScope, resource: Mapping[str, Any], namespace: str
) -> None:
    """Publish that a deleted TradingStrategy is retired (its ledger rows stay)."""
    name = resource["metadata"]["name"]
    generation = int(resource["metadata"].get("generation") or 1) + 1
    topics = TopicMap(Namespace(namespace), scope.topic_prefix)
    publisher = DefinitionPublisher(config.kafka_bootstrap, topics, SOURCE)

    async def publish() -> None:
        await publisher.start()
        try:
            await publisher.remove(name, Namespace(namespace), generation)
        finally:
            await publisher.close()

    try:
        asyncio.run(asyncio.wait_for(publish(), timeout=10))
    except Exception as error:  # logged; the risk manager keeps the strategy until it hears
        logger.warning("removal of %s not published: %r", name, error)
