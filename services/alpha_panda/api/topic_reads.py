"""What the API reads straight from Kafka: the risk manager's rejections and the dead letters.

Neither is booked anywhere else: a rejected signal never becomes an order, and a dead letter
is the record that could not be handled. Both are read from the newest end of their topics.
"""

from __future__ import annotations

from datetime import datetime

from alpha_panda.api.schemas import DeadLetterView, RejectionView
from alpha_panda.core.events import EventDecodeError, decode
from alpha_panda.core.streaming.dead_letters import DeadLetter
from alpha_panda.core.streaming.recent import newest_records
from alpha_panda.core.topics import TopicMap, dlq
from alpha_panda.domain.signals import RejectedSignal


class TopicReader:
    """Read the newest rejections and dead letters of a namespace's topics."""

    def __init__(self, bootstrap: str, topics: TopicMap) -> None:
        self._bootstrap = bootstrap
        self._topics = topics

    async def rejections(self, limit: int) -> list[RejectionView]:
        """Return up to `limit` of the newest risk rejections, most recent first.

        A record that is not a rejection envelope is skipped: the risk manager writes only
        those, and the dead-letter topics are where bad records are told about.
        """
        records = await newest_records(self._bootstrap, [self._topics.signals_rejected], limit)
        views = []
        for record in records:
            try:
                envelope = decode(record.value)
            except EventDecodeError:
                continue
            if isinstance(envelope.data, RejectedSignal):
                views.append(_rejection(str(envelope.id), envelope.timestamp, envelope.data))
        views.sort(key=lambda view: (view.decided_at, view.event_id), reverse=True)
        return views[:limit]

    async def dead_letters(self, limit: int) -> list[DeadLetterView]:
        """Return up to `limit` of the newest dead letters of every topic the namespace reads,
        most recent first, without their payloads (which may carry order details)."""
        main = [self._topics.market_ticks, *self._topics.namespaced()]
        records = await newest_records(self._bootstrap, [dlq(topic) for topic in main], limit)
        letters = [DeadLetter.from_dlq_record(record) for record in records]
        letters.sort(key=lambda letter: (letter.failed_at, letter.offset), reverse=True)
        return [dead_letter_view(letter, with_payload=False) for letter in letters[:limit]]


def _rejection(event_id: str, decided_at: datetime, rejected: RejectedSignal) -> RejectionView:
    signal = rejected.signal
    return RejectionView(
        event_id=event_id,
        decided_at=decided_at,
        strategy_id=signal.strategy_id,
        instrument_token=signal.instrument_token,
        side=signal.side,
        quantity=signal.quantity,
        generated_at=signal.generated_at,
        rule=rejected.rule,
        reason=rejected.reason,
    )


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def dead_letter_view(letter: DeadLetter, *, with_payload: bool = True) -> DeadLetterView:
    """Return a dead letter as the API shows it; its key and value only `with_payload`."""
    return DeadLetterView(
        topic=letter.topic,
        dead_letter_topic=dlq(letter.topic),
        partition=letter.partition,
        offset=letter.offset,
        error_class=letter.error_class,
        error_message=letter.error_message,
        attempts=letter.attempts,
        consumer_group=letter.consumer_group,
        failed_at=letter.failed_at,
        key=_text(letter.key) if with_payload else None,
        value=_text(letter.value) if with_payload else None,
    )
