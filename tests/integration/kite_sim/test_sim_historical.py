"""Historical candles through the official kiteconnect client, checked against live quotes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from alpha_panda.domain.values import IST
from kite_sim.background import BackgroundSimulator
from tests.integration.kite_sim.support import START, frozen_config

INFY = 408065


@pytest.fixture(scope="module")
def watched() -> Iterator[tuple[BackgroundSimulator, KiteConnect, dict[datetime, float]]]:
    """A simulator whose clock was walked minute by minute from 10:00 to 10:30, INFY watched."""
    with BackgroundSimulator(frozen_config()) as background:
        session = background.call(background.simulator.login)
        kite = KiteConnect(
            background.simulator.api_key, session.access_token, root=background.urls.rest
        )
        clock = background.simulator.clock
        seen = {}
        for minute in range(31):
            instant = START + timedelta(minutes=minute)
            background.call(lambda instant=instant: clock.set(instant))
            seen[instant] = kite.ltp("NSE:INFY")["NSE:INFY"]["last_price"]
        yield background, kite, seen


def test_minute_candles_open_at_the_prices_quoted_live(watched) -> None:
    _, kite, seen = watched
    candles = kite.historical_data(INFY, START, START + timedelta(minutes=30), "minute")
    assert [candle["date"] for candle in candles] == sorted(seen)
    for candle in candles:
        assert candle["open"] == seen[candle["date"]]
        assert candle["low"] <= min(candle["open"], candle["close"])
        assert candle["high"] >= max(candle["open"], candle["close"])
    assert all(candle["volume"] > 0 for candle in candles[:-1])
    assert candles[0]["date"].utcoffset() == timedelta(hours=5, minutes=30)


def test_longer_candles_aggregate_the_minute_candles(watched) -> None:
    _, kite, _ = watched
    start, end = START, START + timedelta(minutes=29, seconds=59)
    minutes = kite.historical_data(INFY, start, end, "minute")
    fives = kite.historical_data(INFY, start, end, "5minute")
    assert len(fives) == 6
    for index, five in enumerate(fives):
        group = minutes[index * 5 : index * 5 + 5]
        assert five["open"] == group[0]["open"] and five["close"] == group[-1]["close"]
        assert five["high"] == max(c["high"] for c in group)
        assert five["low"] == min(c["low"] for c in group)
        assert five["volume"] == sum(c["volume"] for c in group)
    (day,) = kite.historical_data(INFY, START.replace(hour=0), end, "day")
    assert day["date"] == START.replace(hour=0) and day["open"] == minutes[0]["open"]
    assert kite.quote("NSE:INFY")["NSE:INFY"]["ohlc"]["high"] >= day["high"]


def test_open_interest_comes_with_oi_and_nothing_before_the_data_starts(watched) -> None:
    _, kite, _ = watched
    future = next(
        row
        for row in kite.instruments("NFO")
        if row["name"] == "NIFTY" and row["instrument_type"] == "FUT"
    )
    kite.ltp(f"NFO:{future['tradingsymbol']}")
    candles = kite.historical_data(
        future["instrument_token"], START, START + timedelta(minutes=30), "minute", oi=True
    )
    assert candles and all(candle["oi"] > 0 for candle in candles)
    earlier = datetime(2026, 11, 20, 9, 15, tzinfo=IST)
    assert kite.historical_data(INFY, earlier, earlier + timedelta(hours=1), "minute") == []


@pytest.mark.parametrize(
    ("token", "interval", "days", "message"),
    [
        (INFY, "2minute", 1, "invalid interval"),
        (123, "minute", 1, "invalid token"),
        (INFY, "minute", 61, "interval exceeds max limit: 60 days"),
        (INFY, "60minute", 401, "interval exceeds max limit: 400 days"),
    ],
)
def test_bad_requests_raise_input_exceptions(
    watched, token: int, interval: str, days: int, message: str
) -> None:
    _, kite, _ = watched
    with pytest.raises(kite_errors.InputException) as raised:
        kite.historical_data(token, START - timedelta(days=days), START, interval)
    assert str(raised.value) == message
