"""The one event envelope every message on the log travels in, and its wire codec."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alpha_panda.core.ids import new_event_id
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.values import UtcDatetime

SCHEMA_VERSION = 1
SHARED_NAMESPACE = "shared"
"""Namespace of events that every broker namespace reads (market ticks)."""


class EventType(StrEnum):
    MARKET_TICK = "market.tick"
    SIGNAL_RAW = "signal.raw"
    SIGNAL_VALIDATED = "signal.validated"
    SIGNAL_REJECTED = "signal.rejected"
    ORDER_PLACED = "order.placed"
    ORDER_FILLED = "order.filled"
    ORDER_FAILED = "order.failed"


PAYLOAD_TYPES: dict[EventType, type[BaseModel]] = {
    EventType.MARKET_TICK: Tick,
    EventType.SIGNAL_RAW: Signal,
    EventType.SIGNAL_VALIDATED: ValidatedSignal,
    EventType.SIGNAL_REJECTED: RejectedSignal,
    EventType.ORDER_PLACED: OrderPlaced,
    EventType.ORDER_FILLED: OrderFilled,
    EventType.ORDER_FAILED: OrderFailed,
}


class EventDecodeError(ValueError):
    """Raised for bytes that are not a valid envelope of a known type and schema version."""


class EventEnvelope(BaseModel):
    """One event: identity, lineage, tracing and a typed payload selected by `type`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=new_event_id)
    type: EventType
    schema_version: int = SCHEMA_VERSION
    timestamp: UtcDatetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str = Field(min_length=1)
    namespace: str = Field(min_length=1)
    key: str = Field(min_length=1)
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    trace: dict[str, str] = Field(default_factory=dict)
    data: Any

    @model_validator(mode="before")
    @classmethod
    def _type_payload(cls, values: Any) -> Any:
        if not isinstance(values, dict) or "type" not in values:
            return values
        payload_type = PAYLOAD_TYPES.get(EventType(values["type"]))
        data = values.get("data")
        if payload_type is not None and not isinstance(data, payload_type):
            values = {**values, "data": payload_type.model_validate(data)}
        return values

    @model_validator(mode="after")
    def _check_schema(self) -> EventEnvelope:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema_version {self.schema_version}")
        return self


def encode(envelope: EventEnvelope) -> bytes:
    """Serialise an envelope to JSON bytes; Decimals travel as strings, times as ISO-8601 UTC."""
    return envelope.model_dump_json().encode()


def decode(raw: bytes | None) -> EventEnvelope:
    """Parse envelope bytes, raising `EventDecodeError` with the reason when they are invalid."""
    if not raw:
        raise EventDecodeError("empty message value")
    try:
        return EventEnvelope.model_validate_json(raw)
    except ValidationError as error:
        raise EventDecodeError(_describe(error)) from error
    except ValueError as error:  # an unknown EventType raised before field validation
        raise EventDecodeError(str(error)) from error


def _describe(error: ValidationError) -> str:
    parts = []
    for problem in error.errors()[:5]:
        where = ".".join(str(item) for item in problem["loc"]) or "envelope"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)
