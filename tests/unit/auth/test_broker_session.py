"""Broker sessions die at 06:00 IST and never show their token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from alpha_panda.auth.broker_session import BrokerSession, SessionSource, session_expiry
from alpha_panda.domain.values import IST


@pytest.mark.parametrize(
    ("login", "expiry"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=IST), datetime(2026, 11, 26, 6, 0, tzinfo=IST)),
        (datetime(2026, 11, 25, 5, 59, tzinfo=IST), datetime(2026, 11, 25, 6, 0, tzinfo=IST)),
        (datetime(2026, 11, 25, 6, 0, tzinfo=IST), datetime(2026, 11, 26, 6, 0, tzinfo=IST)),
        (datetime(2026, 11, 25, 23, 0, tzinfo=UTC), datetime(2026, 11, 26, 6, 0, tzinfo=IST)),
        (datetime(2026, 12, 31, 20, 0, tzinfo=IST), datetime(2027, 1, 1, 6, 0, tzinfo=IST)),
    ],
    ids=["morning", "just-before-six", "at-six", "utc-evening", "year-end"],
)
def test_session_expires_at_the_next_six_o_clock_ist(login, expiry):
    expires = session_expiry(login)
    assert expires == expiry
    assert expires.tzinfo is UTC


def _session(**changes) -> BrokerSession:
    values = {
        "api_key": "kite-key",
        "access_token": SecretStr("tok-" + "x" * 28),
        "user_id": "AB1234",
        "login_time": datetime(2026, 11, 25, 3, 30, tzinfo=UTC),
        "expires_at": datetime(2026, 11, 26, 0, 30, tzinfo=UTC),
        "source": SessionSource.ENVIRONMENT,
    }
    return BrokerSession(**{**values, **changes})


def test_session_is_expired_from_its_expiry_instant_on():
    session = _session()
    assert not session.is_expired(datetime(2026, 11, 26, 0, 29, 59, tzinfo=UTC))
    assert session.is_expired(datetime(2026, 11, 26, 0, 30, tzinfo=UTC))


def test_session_repr_and_str_hide_the_access_token():
    session = _session()
    assert "x" * 28 not in repr(session)
    assert "x" * 28 not in str(session)


def test_naive_session_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        _session(login_time=datetime(2026, 11, 25, 9, 0))
