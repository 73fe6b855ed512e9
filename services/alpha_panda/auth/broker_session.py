"""A Kite broker session: the access token, whose it is, and when it dies (06:00 IST)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from enum import StrEnum

from pydantic import SecretStr

from alpha_panda.domain.values import IST

TOKEN_EXPIRY_TIME = time_of_day(6, 0)


class SessionSource(StrEnum):
    """Where a session's access token came from."""

    ENVIRONMENT = "environment"
    LOGIN_CALLBACK = "login-callback"
    STORE = "store"


class BrokerSessionError(Exception):
    """The broker session is missing, expired or refused by the broker; never quotes a token."""


def session_expiry(login_time: datetime) -> datetime:
    """Return the first 06:00 IST after `login_time`, when every Kite access token expires."""
    local = login_time.astimezone(IST)
    day = local.date() if local.time() < TOKEN_EXPIRY_TIME else local.date() + timedelta(days=1)
    return datetime.combine(day, TOKEN_EXPIRY_TIME, IST).astimezone(UTC)


@dataclass(frozen=True)
class BrokerSession:
    """An access token with its owner and lifetime; its repr never shows the token."""

    api_key: str
    access_token: SecretStr
    user_id: str | None
    login_time: datetime
    expires_at: datetime
    source: SessionSource

    def __post_init__(self) -> None:
        if self.login_time.tzinfo is None or self.expires_at.tzinfo is None:
            raise ValueError("session times must be timezone-aware")

    def is_expired(self, now: datetime) -> bool:
        """Tell whether the session has reached its 06:00 IST expiry at `now`."""
        return now >= self.expires_at
