"""When a Kite access token dies: at 06:00 IST after it was issued."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from alpha_panda.domain.values import IST

KITE_TOKEN_EXPIRY = time(6, 0)


def next_token_expiry(issued_at: datetime) -> datetime:
    """Return the first 06:00 IST strictly after `issued_at`, in UTC."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    local = issued_at.astimezone(IST)
    expiry = datetime.combine(local.date(), KITE_TOKEN_EXPIRY, tzinfo=IST)
    if expiry <= local:
        expiry = datetime.combine(local.date() + timedelta(days=1), KITE_TOKEN_EXPIRY, tzinfo=IST)
    return expiry.astimezone(UTC)
