"""Envelopes around domain records, as the runtime hands them to a service's handler."""

from __future__ import annotations

from pydantic import BaseModel

from alpha_panda.core.events import EventEnvelope, EventType, new_envelope, partition_key
from alpha_panda.core.ids import new_event_id
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.values import Namespace

TOPICS = TopicMap(Namespace.PAPER)


def envelope(event_type: EventType, data: BaseModel, namespace: str = "paper") -> EventEnvelope:
    """Wrap `data` in an envelope of `event_type`, the start of its own causation chain."""
    event_id = new_event_id()
    return new_envelope(
        event_type,
        data,
        id=event_id,
        source="test",
        namespace=namespace,
        key=partition_key(data),
        correlation_id=event_id,
    )
