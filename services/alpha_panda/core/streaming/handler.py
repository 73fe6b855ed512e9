"""What a service is to the runtime: a handler of events that declares what it consumes.

A handler touches no Kafka client and no SQL. It turns one event into `Outputs` (events to
emit, ledger records to persist) and hands its state over as a `snapshot()`; the runtime
consumes, deduplicates, retries, dead-letters, publishes and checkpoints around it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from alpha_panda.core.events import EventEnvelope, EventType

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class Outgoing:
    """An event to publish; the publisher wraps it in an envelope keyed by `partition_key`."""

    topic: str
    type: EventType
    data: BaseModel
    namespace: str | None = None
    """The envelope's namespace when it is not the service's own (ticks are shared)."""


@dataclass(frozen=True)
class Outputs:
    """What handling one event produced.

    `cause` is the event the outputs react to: the event being handled unless the handler
    names another (an order update refreshes the validated signal that placed the order).
    """

    events: Sequence[Outgoing] = ()
    records: Sequence[object] = ()
    """Ledger records, written in the checkpoint's transaction with the handled ids."""
    cause: EventEnvelope | None = None


NOTHING = Outputs()


@dataclass(frozen=True)
class Subscription:
    """The topics a handler consumes, and the records it has no use for.

    Of `latest_only` topics (latest-value streams such as ticks, for a handler that needs only
    the last price) a record that a newer one with the same key in the batch supersedes is
    skipped undecoded; of `only_keys` topics, records with other keys. Skipped records are
    counted and their offsets committed.
    """

    topics: Sequence[str]
    latest_only: Collection[str] = ()
    only_keys: Mapping[str, Collection[str]] = field(default_factory=dict)
    first: Collection[str] = ()
    """Topics whose records in a batch are handled before the batch's others (definitions
    that govern how the rest is judged); each partition's records keep their order."""
    recent_only: Mapping[str, float] = field(default_factory=dict)
    """Topics a new consumer group starts on this many seconds before now, not at the start
    of retention: a new strategy works from current market data, with a bounded warm-up."""


class Handler(Protocol):
    """A service's logic as the runtime drives it."""

    @property
    def subscription(self) -> Subscription:
        """Return the topics to consume."""
        ...

    def deduplicates(self, event: EventEnvelope) -> bool:
        """Tell whether `event` must be handled at most once (idempotent ticks need not be)."""
        ...

    async def handle(self, event: EventEnvelope) -> Outputs:
        """React to one event; raise to have it retried or dead-lettered."""
        ...

    def snapshot(self) -> Snapshot | None:
        """Return the state to save with the next checkpoint, or None if it did not change."""
        ...

    def restore(self, snapshot: Snapshot | None) -> None:
        """Take back the state a previous run saved (None on a first start)."""
        ...


SideWork = Callable[[], Awaitable[Sequence[Outputs]]]
"""Periodic work of a handler beside its events (the live engine's poll of working orders);
the runtime runs it between batches and publishes and checkpoints its outputs like a batch's."""
