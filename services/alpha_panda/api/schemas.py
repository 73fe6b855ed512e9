"""Response and request bodies the API adds to the domain's own read models."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alpha_panda.auth.broker_session import SessionSource
from alpha_panda.auth.users import USERNAME_PATTERN
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.portfolio.summary import PnlPoint
from alpha_panda.domain.values import Namespace, Side, UtcDatetime

STRATEGY_NAME = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
"""What a strategy id looks like (a Kubernetes resource name); anything else is a 422."""


class OrderStatus(StrEnum):
    """Where an order stands in its lifecycle."""

    PLACED = "placed"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    FAILED = "failed"


class OrderView(OrderPlaced):
    """An order as placed, with its current status and filled quantity."""

    status: OrderStatus
    filled_quantity: int = Field(default=0, ge=0)
    reason: str | None = Field(default=None, description="why it failed, when it did")


class RejectionView(BaseModel):
    """A signal the risk manager refused: which rule refused it and why."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    decided_at: UtcDatetime
    strategy_id: str
    instrument_token: int
    side: Side
    quantity: int
    generated_at: UtcDatetime = Field(description="the exchange time of the signal")
    rule: str = Field(description="the rule's name, e.g. unknown_strategy, max_orders_per_day")
    reason: str


class InstrumentView(BaseModel):
    """An instrument of the broker's instruments master: its trading symbol and exchange."""

    model_config = ConfigDict(frozen=True)

    instrument_token: int
    tradingsymbol: str
    exchange: str
    name: str


class PnlCurve(BaseModel):
    """A namespace's net P&L over one IST trading day, per strategy and in total."""

    namespace: Namespace
    day: date | None = Field(description="the IST trading day; None before the first point")
    points: list[PnlPoint]


class ReplayResult(BaseModel):
    """How many dead letters of a topic were put back on their source topic."""

    topic: str
    replayed: int


class StrategyView(BaseModel):
    """A trading strategy as the API lists it."""

    model_config = ConfigDict(frozen=True)

    strategy_id: str
    strategy_type: str
    namespace: Namespace
    instruments: tuple[int, ...] = ()
    paused: bool


class DeadLetterView(BaseModel):
    """A dead-lettered record: where it came from, why it failed, and its payload as text."""

    model_config = ConfigDict(frozen=True)

    topic: str = Field(description="the topic the record failed on")
    dead_letter_topic: str = Field(description="where it waits: what replay takes")
    partition: int
    offset: int
    error_class: str
    error_message: str
    attempts: int
    consumer_group: str
    failed_at: str
    key: str | None = None
    value: str | None = None


class Readiness(BaseModel):
    """Whether every critical pre-trading check passes (details at `/api/v1/health`)."""

    ready: bool


class LoginRequest(BaseModel):
    """Credentials exchanged for an access token."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN.pattern)
    password: str = Field(min_length=1, max_length=256, repr=False)


class TokenResponse(BaseModel):
    """A bearer access token and how long it lives."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type name
    expires_at: UtcDatetime


class BrokerSessionStatus(BaseModel):
    """A namespace's broker session as the API knows it; never the token."""

    namespace: Namespace
    source: SessionSource
    user_id: str | None
    login_time: UtcDatetime | None = Field(description="None when the token came from outside")
    expires_at: UtcDatetime
    expired: bool


class BrokerSessionView(BaseModel):
    """Whose broker session was created and when it expires; never the token."""

    user_id: str | None
    expires_at: UtcDatetime
