"""Create the platform's topics and their dead-letter companions, idempotently."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from alpha_panda.core.topics import TopicMap, is_compacted, is_dlq

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicConfig:
    """Partitions and retention of the topics a namespace needs."""

    partitions: int = 6
    replication_factor: int = 1
    retention_ms: int = 7 * DAY_MS
    dlq_retention_ms: int = 30 * DAY_MS


def topic_configs(name: str, config: TopicConfig) -> dict[str, str]:
    """Return a topic's settings: definitions are compacted and kept, the others age out."""
    if is_compacted(name):
        return {"cleanup.policy": "compact", "retention.ms": "-1"}
    return {"retention.ms": str(config.dlq_retention_ms if is_dlq(name) else config.retention_ms)}


async def ensure_topics(
    bootstrap: str, topics: TopicMap, config: TopicConfig | None = None
) -> list[str]:
    """Create whichever of the namespace's topics are missing; return the names created."""
    return await ensure_named_topics(bootstrap, topics.all_topics(), config)


async def ensure_named_topics(
    bootstrap: str, names: Iterable[str], config: TopicConfig | None = None
) -> list[str]:
    """Create whichever of `names` are missing, each configured as its kind needs; return the
    names created."""
    config = config or TopicConfig()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=config.partitions,
                replication_factor=config.replication_factor,
                topic_configs=topic_configs(name, config),
            )
            for name in names
            if name not in existing
        ]
        created: list[str] = []
        if missing:
            response = await admin.create_topics(missing)
            for name, code, *_ in response.topic_errors:
                if code == 0:
                    created.append(name)
                elif code != 36:  # 36: it exists already (created concurrently, stale listing)
                    raise RuntimeError(f"creating topic {name} failed with Kafka error {code}")
        return created
    finally:
        await admin.close()


async def topic_exists(bootstrap: str, name: str) -> bool:
    """Return whether Kafka has the topic `name` now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return name in await admin.list_topics()
    finally:
        await admin.close()
