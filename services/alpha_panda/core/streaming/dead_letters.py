"""Dead-letter records: what failed, where it came from, and how to put it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from alpha_panda.core.streaming.consume import assign_all, drain
from alpha_panda.core.streaming.publish import Publisher
from alpha_panda.core.topics import dlq, original_of

HEADER_PREFIX = "dlq."


def replay_group(group_prefix: str) -> str:
    """Return the group whose offsets remember what was replayed (the CLI's and the API's)."""
    return f"{group_prefix}.dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    """A failed record with the metadata needed to understand and replay it."""

    topic: str
    partition: int
    offset: int
    error_class: str
    error_message: str
    attempts: int
    consumer_group: str
    failed_at: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        """Return the record's own headers plus the dead-letter metadata."""
        meta = {
            "topic": self.topic,
            "partition": str(self.partition),
            "offset": str(self.offset),
            "error_class": self.error_class,
            "error_message": self.error_message[:2000],
            "attempts": str(self.attempts),
            "consumer_group": self.consumer_group,
            "failed_at": self.failed_at,
        }
        own = [(name, value) for name, value in self.headers if not name.startswith(HEADER_PREFIX)]
        return own + [(HEADER_PREFIX + name, value.encode()) for name, value in meta.items()]

    @classmethod
    def from_failure(
        cls, record: ConsumerRecord, error: BaseException, attempts: int, consumer_group: str
    ) -> DeadLetter:
        """Describe a consumed record that could not be handled."""
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error_class=type(error).__name__,
            error_message=str(error) or repr(error),
            attempts=attempts,
            consumer_group=consumer_group,
            failed_at=datetime.now(UTC).isoformat(),
            key=record.key,
            value=record.value,
            headers=tuple(record.headers or ()),
        )

    @classmethod
    def from_dlq_record(cls, record: ConsumerRecord) -> DeadLetter:
        """Read a record of a `.dlq` topic back into a dead letter."""
        meta = {
            name.removeprefix(HEADER_PREFIX): value.decode()
            for name, value in record.headers or ()
            if name.startswith(HEADER_PREFIX)
        }
        own = tuple((n, v) for n, v in record.headers or () if not n.startswith(HEADER_PREFIX))
        return cls(
            topic=meta.get("topic", original_of(record.topic)),
            partition=int(meta.get("partition", -1)),
            offset=int(meta.get("offset", -1)),
            error_class=meta.get("error_class", ""),
            error_message=meta.get("error_message", ""),
            attempts=int(meta.get("attempts", 0)),
            consumer_group=meta.get("consumer_group", ""),
            failed_at=meta.get("failed_at", ""),
            key=record.key,
            value=record.value,
            headers=own,
        )


async def read_dead_letters(bootstrap: str, topic: str, limit: int = 1000) -> list[DeadLetter]:
    """Return up to `limit` dead letters of `topic` from the start of its `.dlq` companion."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        ends = await assign_all(consumer, bootstrap, dlq(topic))
        letters = [
            DeadLetter.from_dlq_record(record)
            async for records in drain(consumer, ends, limit)
            for record in records
        ]
        return sorted(
            letters, key=lambda letter: (letter.failed_at, letter.partition, letter.offset)
        )
    finally:
        await consumer.stop()


async def replay_dead_letters(
    bootstrap: str, topic: str, *, replay_group: str, limit: int = 1000
) -> int:
    """Re-inject dead letters of `topic` not yet replayed by `replay_group`; return the count.

    The replay group's committed offsets on the `.dlq` topic remember what was replayed, so
    running the command twice does not inject the same record twice.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=replay_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    publisher = Publisher(bootstrap, source=replay_group, namespace="replay")
    await consumer.start()
    await publisher.start()
    replayed = 0
    try:
        ends = await assign_all(consumer, bootstrap, dlq(topic))
        async for records in drain(consumer, ends, limit):
            for record in records:
                letter = DeadLetter.from_dlq_record(record)
                await publisher.send_record(letter.topic, letter.key, letter.value, letter.headers)
                replayed += 1
            await consumer.commit()
    finally:
        await publisher.close()
        await consumer.stop()
    return replayed
