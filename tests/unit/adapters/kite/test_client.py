"""Which client errors mean Kite gave no usable answer, and how a call maps them."""

from __future__ import annotations

import pytest
import requests
from kiteconnect import exceptions as kite_errors

from alpha_panda.adapters.kite.client import (
    KiteUnavailableError,
    SessionExpiredError,
    call_kite,
    unavailable,
)
from alpha_panda.core.streaming.retry import is_transient


@pytest.mark.parametrize(
    "error",
    [
        kite_errors.NetworkException("Too many requests", code=429),
        kite_errors.NetworkException("Gateway timed out", code=504),
        kite_errors.GeneralException("Something went wrong", code=500),
        kite_errors.DataException("Unknown Content-Type (text/html)", code=502),
        requests.ConnectionError("Connection aborted"),
        requests.ReadTimeout("read timed out"),
    ],
)
def test_throttling_server_errors_and_lost_connections_are_no_usable_answer(
    error: Exception,
) -> None:
    assert unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        kite_errors.InputException("Invalid tradingsymbol", code=400),
        kite_errors.OrderException("Order rejected", code=400),
        kite_errors.GeneralException("Route not found", code=404),
        ValueError("a bug of ours"),
    ],
)
def test_refusals_and_our_own_bugs_are_answers(error: Exception) -> None:
    assert not unavailable(error)


async def test_a_call_without_an_answer_is_transient_and_names_the_method() -> None:
    def place_order() -> None:
        raise kite_errors.NetworkException("Too many requests", code=429)

    with pytest.raises(
        KiteUnavailableError, match=r"place_order .* NetworkException 429"
    ) as raised:
        await call_kite(place_order)
    assert is_transient(raised.value)


async def test_a_refused_token_halts_and_other_errors_pass_through() -> None:
    def orders() -> None:
        raise kite_errors.TokenException("Incorrect api_key or access_token", code=403)

    def quote() -> None:
        raise kite_errors.InputException("Invalid instrument", code=400)

    with pytest.raises(SessionExpiredError):
        await call_kite(orders)
    with pytest.raises(kite_errors.InputException):
        await call_kite(quote)
