"""Login tokens and rate limits of the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alpha_panda.domain.values import IST
from kite_sim.auth import SessionStore, checksum
from kite_sim.clock import SimulatedClock
from kite_sim.errors import InputError, TokenError
from kite_sim.rate_limits import RateLimit, RateLimiter

START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)


class Store:
    def __init__(self) -> None:
        self.real = [0.0]
        self.clock = SimulatedClock(START, speed=0)
        self.sessions = SessionStore({"key": "secret"}, self.clock, monotonic=lambda: self.real[0])


def test_checksum_is_sha256_of_key_token_and_secret() -> None:
    assert (
        checksum("a", "b", "c")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_request_token_is_single_use_and_needs_the_right_checksum() -> None:
    store = Store().sessions
    token = store.issue_request_token("key")
    with pytest.raises(TokenError):
        store.exchange("key", token, checksum("key", token, "wrong"))
    token = store.issue_request_token("key")
    session = store.exchange("key", token, checksum("key", token, "secret"))
    assert store.authenticate("key", session.access_token) is session
    with pytest.raises(TokenError):
        store.exchange("key", token, checksum("key", token, "secret"))


def test_request_token_dies_after_five_minutes() -> None:
    store = Store()
    token = store.sessions.issue_request_token("key")
    store.real[0] += 301
    with pytest.raises(TokenError):
        store.sessions.exchange("key", token, checksum("key", token, "secret"))


def test_unknown_api_key_cannot_log_in() -> None:
    with pytest.raises(InputError):
        Store().sessions.issue_request_token("nobody")


def test_access_token_expires_at_six_next_morning_or_when_expired_early() -> None:
    store = Store()
    session = store.sessions.add_session("key")
    assert session.expires_at == datetime(2026, 11, 26, 6, 0, tzinfo=IST)
    store.clock.set(session.expires_at - timedelta(seconds=1))
    store.sessions.authenticate("key", session.access_token)
    assert store.sessions.expire("key") == [session.access_token]
    with pytest.raises(TokenError, match="expired"):
        store.sessions.authenticate("key", session.access_token)


def test_access_token_is_bound_to_its_api_key_and_revocable() -> None:
    store = Store().sessions
    session = store.add_session("key")
    with pytest.raises(TokenError):
        store.authenticate("other", session.access_token)
    store.revoke(session.access_token)
    with pytest.raises(TokenError):
        store.authenticate("key", session.access_token)


def test_rate_limiter_allows_the_limit_per_window_per_key_and_class() -> None:
    now = [0.0]
    limiter = RateLimiter(
        {"quote": RateLimit(1), "orders": RateLimit(10)}, monotonic=lambda: now[0]
    )
    assert limiter.allow("a", "quote") and not limiter.allow("a", "quote")
    assert limiter.allow("b", "quote")
    assert all(limiter.allow("a", "orders") for _ in range(10)) and not limiter.allow("a", "orders")
    now[0] = 1.0
    assert limiter.allow("a", "quote") and limiter.allow("a", "orders")
    assert limiter.allow("a", "unlimited-class")
