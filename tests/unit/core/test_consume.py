"""Which records of a fetched batch a handler gets, and in what order (no broker needed: the
consumer is built but never started)."""

from __future__ import annotations

from aiokafka import ConsumerRecord, TopicPartition

from alpha_panda.core.streaming.consume import Batch, TopicConsumer
from alpha_panda.core.streaming.handler import Subscription


def consumer(subscription: Subscription) -> TopicConsumer:
    return TopicConsumer(
        "127.0.0.1:9", group="g", service="unit", subscription=subscription, max_batch=10,
        fetch_max_wait_ms=5,
    )  # fmt: skip


def record(topic: str, partition: int, offset: int, key: str = "k") -> ConsumerRecord:
    return ConsumerRecord(topic, partition, offset, 0, 0, key.encode(), b"v", None, 1, 1, [])


def batch(*records: ConsumerRecord) -> Batch:
    grouped: Batch = {}
    for r in records:
        grouped.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
    return grouped


async def test_records_of_first_topics_come_before_the_others_each_partition_in_order():
    reader = consumer(Subscription(topics=["signals", "strategies"], first=["strategies"]))
    fetched = batch(
        record("signals", 0, 5),
        record("signals", 0, 6),
        record("signals", 1, 2),
        record("strategies", 0, 1),
        record("strategies", 0, 2),
    )
    order = [(r.topic, r.partition, r.offset) for r in reader.wanted(fetched)]
    assert order == [
        ("strategies", 0, 1),
        ("strategies", 0, 2),
        ("signals", 0, 5),
        ("signals", 0, 6),
        ("signals", 1, 2),
    ]


async def test_without_first_topics_the_batch_keeps_its_order():
    reader = consumer(Subscription(topics=["signals", "strategies"]))
    fetched = batch(record("signals", 0, 5), record("strategies", 0, 1))
    assert [r.topic for r in reader.wanted(fetched)] == ["signals", "strategies"]
