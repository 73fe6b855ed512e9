"""Read the newest records of topics without joining a group: what the API shows of a topic."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from alpha_panda.core.streaming.consume import drain


async def newest_records(
    bootstrap: str, topics: Sequence[str], per_partition: int
) -> list[ConsumerRecord]:
    """Return up to `per_partition` of the newest records of each partition of `topics`.

    One consumer without a group reads them all, from `per_partition` before each partition's
    end offset as it was when asked. Topics that do not exist contribute nothing.
    """
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()  # subscribed without a group: loads the topics' metadata
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.unsubscribe()
        if not partitions:
            return []
        consumer.assign(partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        for tp, end in ends.items():
            consumer.seek(tp, max(starts[tp], end - per_partition))
        limit = per_partition * len(partitions)
        return [record async for batch in drain(consumer, ends, limit) for record in batch]
    finally:
        await consumer.stop()
