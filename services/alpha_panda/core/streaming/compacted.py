"""Read a compacted topic whole: the latest event per key, as a new reader would see it."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

from alpha_panda.core.events import EventDecodeError, EventEnvelope, decode
from alpha_panda.core.streaming.consume import assign_all, drain


async def read_latest(bootstrap: str, topic: str, limit: int = 100_000) -> dict[str, EventEnvelope]:
    """Return the newest event of every key of `topic` up to its current end.

    A key whose newest record is a tombstone (no value) is left out; undecodable records are
    skipped, since the topic's consumers dead-letter them.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    latest: dict[str, EventEnvelope] = {}
    try:
        ends = await assign_all(consumer, bootstrap, topic)
        async for records in drain(consumer, ends, limit):
            for record in records:
                key = (record.key or b"").decode()
                if record.value is None:
                    latest.pop(key, None)
                    continue
                try:
                    latest[key] = decode(record.value)
                except EventDecodeError:
                    continue
    finally:
        await consumer.stop()
    return latest
