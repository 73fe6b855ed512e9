"""Response and request bodies the API adds to the domain's own read models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alpha_panda.auth.broker_session import SessionSource
from alpha_panda.auth.users import USERNAME_PATTERN
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.values import Namespace, UtcDatetime

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

    topic: str
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
