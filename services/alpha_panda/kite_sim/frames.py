"""Kite's binary market-data frames: packets per mode, framed with counts and lengths.

A frame is a big-endian u16 packet count followed, per packet, by a u16 length and the packet.
Prices travel as u32 paise. A one-byte frame is a heartbeat.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import StrEnum

from alpha_panda.kite_sim.quotes import DEPTH_LEVELS, Level, Quote

HEARTBEAT = b"\x00"

_LTP = struct.Struct(">II")
_INDEX_QUOTE = struct.Struct(">IIIIIIi")
_INDEX_FULL = struct.Struct(">IIIIIIiI")
_QUOTE = struct.Struct(">IIIIIIIIIII")
_FULL = struct.Struct(">" + "I" * 16 + "IIHxx" * 2 * DEPTH_LEVELS)
_COUNT = struct.Struct(">H")

PACKET_SIZES = {
    "ltp": _LTP.size,
    "index quote": _INDEX_QUOTE.size,
    "index full": _INDEX_FULL.size,
    "quote": _QUOTE.size,
    "full": _FULL.size,
}
"""Packet length in bytes of each packet kind (8, 28, 32, 44, 184)."""

MAX_PACKETS_PER_FRAME = 0xFFFF


class StreamMode(StrEnum):
    LTP = "ltp"
    QUOTE = "quote"
    FULL = "full"


def encode_packet(quote: Quote, mode: StreamMode) -> bytes:
    """Pack one instrument's quote into the packet Kite sends for `mode`; indices get theirs."""
    token = quote.instrument_token
    if mode is StreamMode.LTP:
        return _LTP.pack(token, quote.last_price)
    if quote.is_index:
        ohlc = (quote.high, quote.low, quote.open, quote.close)
        change = quote.last_price - quote.close
        if mode is StreamMode.QUOTE:
            return _INDEX_QUOTE.pack(token, quote.last_price, *ohlc, change)
        return _INDEX_FULL.pack(
            token, quote.last_price, *ohlc, change, int(quote.timestamp.timestamp())
        )
    head = (
        token,
        quote.last_price,
        quote.last_quantity,
        quote.average_price,
        quote.volume,
        quote.buy_quantity,
        quote.sell_quantity,
        quote.open,
        quote.high,
        quote.low,
        quote.close,
    )
    if mode is StreamMode.QUOTE:
        return _QUOTE.pack(*head)
    stamp = int(quote.timestamp.timestamp())
    levels = _padded(quote.bids) + _padded(quote.asks)
    depth = [value for price, quantity, orders in levels for value in (quantity, price, orders)]
    return _FULL.pack(*head, stamp, quote.oi, quote.oi_day_high, quote.oi_day_low, stamp, *depth)


def _padded(side: tuple[Level, ...]) -> tuple[Level, ...]:
    if len(side) == DEPTH_LEVELS:
        return side
    return (side + ((0, 0, 0),) * DEPTH_LEVELS)[:DEPTH_LEVELS]


def encode_frame(packets: Sequence[bytes]) -> bytes:
    """Frame packets into one binary message (at most 65,535 packets)."""
    if len(packets) > MAX_PACKETS_PER_FRAME:
        raise ValueError("a frame holds at most 65535 packets")
    parts = [_COUNT.pack(len(packets))]
    for packet in packets:
        parts.append(_COUNT.pack(len(packet)))
        parts.append(packet)
    return b"".join(parts)
