"""Consumer-group lag, read from Kafka itself: what a group has yet to commit."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def group_lag(bootstrap: str, groups: Iterable[str], topics: Iterable[str]) -> dict[str, int]:
    """Return, per group, the records of `topics` written but not yet committed by that group."""
    wanted = set(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(*wanted, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()  # subscribed without a group: loads the topics' partitions
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in wanted
            for partition in consumer.partitions_for_topic(topic) or ()
        ]
        ends = await consumer.end_offsets(partitions)
        lag: dict[str, int] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            lag[group] = sum(
                end - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
                for tp, end in ends.items()
                if _consumes(committed, tp)
            )
        return lag
    finally:
        await consumer.stop()
        await admin.close()


def _consumes(committed: dict[TopicPartition, object], tp: TopicPartition) -> bool:
    """A group counts for a topic once it has committed an offset on any of its partitions."""
    return any(seen.topic == tp.topic for seen in committed)
