"""Frame decoder behaviour beyond agreement with the official parser."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from alpha_panda.adapters.kite import frames
from alpha_panda.adapters.kite.frames import FrameDecoder, FrameError
from alpha_panda.domain.market import Tick

RECEIVED_AT = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
NSE_TOKEN = 408065  # low byte 1: NSE equity
CDS_TOKEN = 0x1234 << 8 | 3


def _frame(*packets: bytes) -> bytes:
    return struct.pack(">H", len(packets)) + b"".join(
        struct.pack(">H", len(packet)) + packet for packet in packets
    )


def _full_packet(token: int) -> bytes:
    quote = [
        token,
        150_005,
        25,
        149_990,
        1_000_000,
        5_000,
        6_000,
        149_000,
        151_000,
        148_500,
        149_500,
    ]
    # 2026-11-25 09:30:00 IST as Unix epoch seconds.
    exchange_time = int(datetime(2026, 11, 25, 4, 0, tzinfo=UTC).timestamp())
    head = struct.pack(">16I", *quote, exchange_time - 1, 700, 800, 600, exchange_time)
    depth = b"".join(
        struct.pack(">IIHxx", 10 * (level + 1), 150_000 + (level - 5) * 5, level + 1)
        for level in range(10)
    )
    return head + depth


def test_heartbeat_frames_decode_to_no_ticks() -> None:
    decoder = FrameDecoder()
    assert decoder.ticks(b"\x00", RECEIVED_AT) == []
    assert decoder.ticks(b"", RECEIVED_AT) == []


def test_full_packet_converts_exchange_epoch_to_utc_and_paise_to_rupees() -> None:
    (tick,) = FrameDecoder().ticks(_frame(_full_packet(NSE_TOKEN)), RECEIVED_AT)

    assert tick.exchange_timestamp == datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    assert tick.exchange_timestamp.tzinfo is UTC
    assert tick.last_price == Decimal("1500.05")
    assert tick.bids[0][0] == Decimal("1499.75")
    assert tick.asks[4][1] == 100
    assert (tick.oi, tick.oi_day_high, tick.oi_day_low) == (700, 800, 600)


EXCHANGE_TIME = int(datetime(2026, 11, 25, 4, 0, tzinfo=UTC).timestamp())
INDEX_TOKEN = 256265  # low byte 9: NSE indices
LAYOUTS = {
    "full": _full_packet(NSE_TOKEN),
    "quote": _full_packet(NSE_TOKEN)[:44],
    "ltp": struct.pack(">II", NSE_TOKEN, 150_005),
    "index quote": struct.pack(
        ">7I", INDEX_TOKEN, 2_400_000, 2_410_000, 2_390_000, 2_395_000, 2_380_000, 20_000
    ),
    "index full": struct.pack(
        ">8I",
        INDEX_TOKEN,
        2_400_000,
        2_410_000,
        2_390_000,
        2_395_000,
        2_380_000,
        20_000,
        EXCHANGE_TIME,
    ),
}


@pytest.mark.parametrize("packet", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_assembled_tick_equals_validated_tick_and_round_trips_json(packet: bytes) -> None:
    (tick,) = FrameDecoder().ticks(_frame(packet), RECEIVED_AT)

    # Equality compares the field dicts: a field the decoder leaves out fails it.
    assert Tick.model_validate(tick.model_dump()) == tick
    assert Tick.model_validate_json(tick.model_dump_json()) == tick
    with pytest.raises(ValueError, match="frozen"):
        tick.last_price = Decimal(1)  # type: ignore[misc]


def test_currency_segment_prices_are_exact_to_seven_decimals() -> None:
    (tick,) = FrameDecoder().ticks(_frame(struct.pack(">II", CDS_TOKEN, 832_512_345)), RECEIVED_AT)

    assert tick.last_price == Decimal("83.2512345")
    assert tick.exchange_timestamp == RECEIVED_AT
    assert tick.mode == "ltp"


def test_unknown_length_and_zero_token_packets_are_skipped_and_counted() -> None:
    decoder = FrameDecoder()
    frame = _frame(b"\x00" * 12, struct.pack(">II", 0, 100), struct.pack(">II", NSE_TOKEN, 100))

    ticks = decoder.ticks(frame, RECEIVED_AT)

    assert [tick.instrument_token for tick in ticks] == [NSE_TOKEN]
    assert decoder.skipped_packets == 2


@pytest.mark.parametrize(
    "packet", [_full_packet, lambda token: struct.pack(">II", token, 832_512_345)]
)
def test_a_frame_of_equally_long_packets_unpacks_as_packet_by_packet(packet: Any) -> None:
    frame = _frame(packet(NSE_TOKEN), packet(0), packet(CDS_TOKEN))
    at_once, one_by_one = FrameDecoder(), FrameDecoder()

    # A trailing byte, which decoding ignores, makes the decoder walk the packets one by one.
    assert at_once.packets(frame) == one_by_one.packets(frame + b"\x00")
    assert [fields[0] for fields in at_once.packets(frame)] == [NSE_TOKEN, CDS_TOKEN]
    assert at_once.skipped_packets == 2
    assert one_by_one.skipped_packets == 1


@pytest.mark.parametrize("cut", [1, 5, 40])
def test_truncated_frame_raises_frame_error(cut: int) -> None:
    frame = _frame(_full_packet(NSE_TOKEN))
    with pytest.raises(FrameError):
        FrameDecoder().packets(frame[:-cut])


def test_depth_travels_as_json_arrays_and_depth_objects_still_validate() -> None:
    (tick,) = FrameDecoder().ticks(_frame(_full_packet(NSE_TOKEN)), RECEIVED_AT)
    document = json.loads(tick.model_dump_json())

    assert document["bids"][0] == ["1499.75", 10, 1]
    document["bids"] = [
        {"price": price, "quantity": quantity, "orders": orders}
        for price, quantity, orders in document["bids"]
    ]
    assert Tick.model_validate_json(json.dumps(document)) == tick
    with pytest.raises(ValidationError):
        Tick.model_validate({**document, "asks": [["1500.00", -1, 1]]})
    with pytest.raises(ValidationError):
        Tick.model_validate({**document, "asks": [{"price": "1500.00", "quantity": 1}]})


def test_batch_decodes_its_ticks_on_each_iteration() -> None:
    decoder = FrameDecoder()
    frame = _frame(_full_packet(NSE_TOKEN), struct.pack(">II", CDS_TOKEN, 832_512_345))

    batch = decoder.batch(frame, RECEIVED_AT)

    assert len(batch) == 2
    assert list(batch) == list(batch) == decoder.ticks(frame, RECEIVED_AT)


def test_prices_and_times_stay_exact_when_the_caches_are_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = _frame(*(_full_packet(NSE_TOKEN) for _ in range(3)))
    expected = FrameDecoder().ticks(frame, RECEIVED_AT)
    monkeypatch.setattr(frames, "_CACHE_LIMIT", 2)

    assert FrameDecoder().ticks(frame, RECEIVED_AT) == expected


def test_a_full_mode_decoder_skips_and_counts_packets_without_an_exchange_time() -> None:
    """Kite streams a new subscription as quotes until the full mode takes effect."""
    quote = _full_packet(NSE_TOKEN)[:44]  # a quote packet is the full packet's first 44 bytes
    ltp = struct.pack(">II", NSE_TOKEN, 100)
    frame = _frame(ltp, quote, _full_packet(NSE_TOKEN))
    everything, full_only = FrameDecoder(), FrameDecoder(full_only=True)

    assert [t.mode for t in everything.ticks(frame, RECEIVED_AT)] == ["ltp", "quote", "full"]
    (tick,) = full_only.ticks(frame, RECEIVED_AT)
    assert tick.mode == "full"
    assert (everything.skipped_packets, full_only.skipped_packets) == (0, 2)
