"""Value types shared by every domain concept."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

IST = ZoneInfo("Asia/Kolkata")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC; naive datetimes are refused."""


class Namespace(StrEnum):
    """Broker namespace: paper and live never share a topic, group, cache key or row."""

    PAPER = "paper"
    ZERODHA = "zerodha"


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """Return +1 for a buy and -1 for a sell."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"


class Frozen(BaseModel):
    """Base of every domain record: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def ist_date(instant: datetime) -> str:
    """Return the IST trading day (YYYY-MM-DD) an instant belongs to."""
    return instant.astimezone(IST).date().isoformat()
