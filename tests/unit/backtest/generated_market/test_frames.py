"""The frame encoder of the generated market checked against the official kiteconnect parser."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from kiteconnect import KiteTicker

from alpha_panda.backtest.generated_market.frames import (
    HEARTBEAT,
    PACKET_SIZES,
    StreamMode,
    encode_frame,
    encode_packet,
)
from alpha_panda.backtest.generated_market.quotes import DEPTH_LEVELS, Quote

OFFICIAL = KiteTicker("api-key", "access-token")
u32 = st.integers(min_value=0, max_value=2**32 - 1)
paise = st.integers(min_value=1, max_value=2**31 - 1)
level = st.tuples(paise, u32, st.integers(min_value=0, max_value=0xFFFF))
instants = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda instant: instant.replace(microsecond=0))


@st.composite
def quotes(draw: st.DrawFn, segment: int = 1) -> Quote:
    token = draw(st.integers(min_value=1, max_value=2**24 - 1)) << 8 | segment
    depth = st.lists(level, min_size=DEPTH_LEVELS, max_size=DEPTH_LEVELS).map(tuple)
    return Quote(
        instrument_token=token,
        sequence=draw(st.integers(min_value=0)),
        timestamp=draw(instants),
        last_price=draw(paise),
        last_quantity=draw(u32),
        average_price=draw(paise),
        volume=draw(u32),
        buy_quantity=draw(u32),
        sell_quantity=draw(u32),
        open=draw(paise),
        high=draw(paise),
        low=draw(paise),
        close=draw(paise),
        oi=draw(u32),
        oi_day_high=draw(u32),
        oi_day_low=draw(u32),
        lower_circuit=0,
        upper_circuit=0,
        bids=draw(depth),
        asks=draw(depth),
        is_index=segment == 9,
    )


def parse(packets: list[bytes]) -> list[dict]:
    return OFFICIAL._parse_binary(encode_frame(packets))


@given(st.lists(quotes(), min_size=1, max_size=20))
def test_ltp_packets_decode_to_token_and_price(batch: list[Quote]) -> None:
    ticks = parse([encode_packet(quote, StreamMode.LTP) for quote in batch])
    assert [(tick["mode"], tick["instrument_token"], tick["last_price"]) for tick in ticks] == [
        ("ltp", quote.instrument_token, quote.last_price / 100) for quote in batch
    ]


@given(quotes(), st.sampled_from([StreamMode.QUOTE, StreamMode.FULL]))
def test_quote_and_full_packets_decode_to_every_field(quote: Quote, mode: StreamMode) -> None:
    packet = encode_packet(quote, mode)
    (tick,) = parse([packet])
    assert len(packet) == PACKET_SIZES[mode.value]
    assert tick["mode"] == mode.value and tick["tradable"] is True
    assert tick["last_price"] == quote.last_price / 100
    assert tick["last_traded_quantity"] == quote.last_quantity
    assert tick["average_traded_price"] == quote.average_price / 100
    assert tick["volume_traded"] == quote.volume
    assert (tick["total_buy_quantity"], tick["total_sell_quantity"]) == (
        quote.buy_quantity,
        quote.sell_quantity,
    )
    assert tick["ohlc"] == {
        "open": quote.open / 100,
        "high": quote.high / 100,
        "low": quote.low / 100,
        "close": quote.close / 100,
    }
    if mode is StreamMode.FULL:
        local = datetime.fromtimestamp(quote.timestamp.timestamp())
        assert tick["exchange_timestamp"] == local and tick["last_trade_time"] == local
        assert (tick["oi"], tick["oi_day_high"], tick["oi_day_low"]) == (
            quote.oi,
            quote.oi_day_high,
            quote.oi_day_low,
        )
        for side, levels in (("buy", quote.bids), ("sell", quote.asks)):
            assert tick["depth"][side] == [
                {"price": price / 100, "quantity": quantity, "orders": orders}
                for price, quantity, orders in levels
            ]


@given(quotes(segment=9), st.sampled_from([StreamMode.QUOTE, StreamMode.FULL]))
def test_index_packets_decode_as_untradable_with_ohlc(quote: Quote, mode: StreamMode) -> None:
    packet = encode_packet(quote, mode)
    (tick,) = parse([packet])
    assert len(packet) == PACKET_SIZES[f"index {mode.value}"]
    assert tick["tradable"] is False and tick["mode"] == mode.value
    assert tick["last_price"] == quote.last_price / 100
    assert tick["ohlc"] == {
        "open": quote.open / 100,
        "high": quote.high / 100,
        "low": quote.low / 100,
        "close": quote.close / 100,
    }
    if mode is StreamMode.FULL:
        assert tick["exchange_timestamp"] == datetime.fromtimestamp(quote.timestamp.timestamp())


def test_heartbeat_frame_carries_no_ticks() -> None:
    assert len(HEARTBEAT) == 1
    assert OFFICIAL._parse_binary(HEARTBEAT) == []
