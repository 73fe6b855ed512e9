"""The frame decoder agrees with the official kiteconnect parser on randomized frames."""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kiteconnect import KiteTicker

from alpha_panda.adapters.kite.frames import FrameDecoder
from alpha_panda.domain.market import Tick
from alpha_panda.domain.values import IST

RECEIVED_AT = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)
EPOCH = st.integers(1, 0xFFFFFFFF)
# Every segment the official client knows, including the currency ones with other divisors.
TOKEN = st.builds(
    lambda high, segment: high << 8 | segment,
    st.integers(0, 0xFFFFFF),
    st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 12]),
)


def _packet(fields: list[int], depth: list[tuple[int, int, int]] = ()) -> bytes:
    body = struct.pack(f">{len(fields)}I", *fields)
    return body + b"".join(struct.pack(">IIHxx", *level) for level in depth)


LTP = st.builds(lambda token, price: _packet([token, price]), TOKEN, U32)
INDEX_QUOTE = st.builds(
    lambda token, rest: _packet([token, *rest]), TOKEN, st.lists(U32, min_size=6, max_size=6)
)
INDEX_FULL = st.builds(
    lambda token, rest, ts: _packet([token, *rest, ts]),
    TOKEN,
    st.lists(U32, min_size=6, max_size=6),
    EPOCH,
)
QUOTE = st.builds(
    lambda token, rest: _packet([token, *rest]), TOKEN, st.lists(U32, min_size=10, max_size=10)
)
FULL = st.builds(
    lambda token, quote, trade_time, oi, timestamp, depth: _packet(
        [token, *quote, trade_time, *oi, timestamp], depth
    ),
    TOKEN,
    st.lists(U32, min_size=10, max_size=10),
    EPOCH,
    st.lists(U32, min_size=3, max_size=3),
    EPOCH,
    st.lists(st.tuples(U32, U32, U16), min_size=10, max_size=10),
)
PACKET = st.one_of(LTP, INDEX_QUOTE, INDEX_FULL, QUOTE, FULL)
FRAME = st.one_of(
    st.binary(max_size=1),
    st.lists(PACKET, max_size=12).map(
        lambda packets: (
            struct.pack(">H", len(packets))
            + b"".join(struct.pack(">H", len(packet)) + packet for packet in packets)
        )
    ),
)


@pytest.fixture(scope="module")
def official() -> Iterator[KiteTicker]:
    """Yield a never-connected KiteTicker whose local wall clock is IST, as on an Indian host."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    yield KiteTicker("api_key", "access_token")
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


@pytest.fixture(scope="module")
def warm_decoder() -> FrameDecoder:
    """Return one decoder for every example: its caches hold earlier examples' prices and times."""
    return FrameDecoder()


def _ist_wall_clock_to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=IST).astimezone(UTC)


def _expected(official_tick: dict[str, Any]) -> dict[str, Any]:
    """Project an official tick dict onto the fields of our `Tick`, prices as floats."""
    expected: dict[str, Any] = {
        "instrument_token": official_tick["instrument_token"],
        "mode": official_tick["mode"],
        "last_price": official_tick["last_price"],
    }
    if "ohlc" in official_tick:
        expected.update(official_tick["ohlc"])
    if "volume_traded" in official_tick:
        expected.update(
            last_quantity=official_tick["last_traded_quantity"],
            average_price=official_tick["average_traded_price"],
            volume=official_tick["volume_traded"],
            buy_quantity=official_tick["total_buy_quantity"],
            sell_quantity=official_tick["total_sell_quantity"],
        )
    expected["exchange_timestamp"] = (
        _ist_wall_clock_to_utc(official_tick["exchange_timestamp"])
        if "exchange_timestamp" in official_tick
        else RECEIVED_AT
    )
    if "depth" in official_tick:
        expected.update(
            last_trade_time=_ist_wall_clock_to_utc(official_tick["last_trade_time"]),
            oi=official_tick["oi"],
            oi_day_high=official_tick["oi_day_high"],
            oi_day_low=official_tick["oi_day_low"],
            bids=[dict(level) for level in official_tick["depth"]["buy"]],
            asks=[dict(level) for level in official_tick["depth"]["sell"]],
        )
    return expected


def _observed(tick: Tick, keys: set[str]) -> dict[str, Any]:
    values = tick.model_dump(include=keys - {"bids", "asks"})
    for key, value in values.items():
        if key in {"last_price", "average_price", "open", "high", "low", "close"}:
            values[key] = float(value)
    for key in keys & {"bids", "asks"}:
        values[key] = [
            {"price": float(price), "quantity": quantity, "orders": orders}
            for price, quantity, orders in getattr(tick, key)
        ]
    return values


@settings(max_examples=400, deadline=None)
@given(frame=FRAME)
def test_decoder_matches_official_parser_field_for_field(
    official: KiteTicker, warm_decoder: FrameDecoder, frame: bytes
) -> None:
    ticks = FrameDecoder().ticks(frame, RECEIVED_AT)
    official_ticks = official._parse_binary(frame)

    assert len(ticks) == len(official_ticks)
    for tick, official_tick in zip(ticks, official_ticks, strict=True):
        expected = _expected(official_tick)
        assert _observed(tick, set(expected)) == expected
        assert tick.exchange_timestamp.utcoffset() is not None
    assert warm_decoder.ticks(frame, RECEIVED_AT) == ticks
