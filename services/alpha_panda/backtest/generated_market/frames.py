"""Kite's binary market-data frames: packets per mode, framed with counts and lengths.

A frame is a big-endian u16 packet count followed, per packet, by a u16 length and the packet.
Prices travel as u32 paise. A one-byte frame is a heartbeat.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import StrEnum

from alpha_panda.backtest.generated_market.quotes import DEPTH_LEVELS, Level, Quote

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
    """Kite's streaming modes, from the last price only to full depth."""

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
    # Quote's fields from last_price to close are in the wire order of quote packets.
    if mode is StreamMode.QUOTE:
        return _QUOTE.pack(token, *quote[3:13])
    stamp = int(quote.timestamp.timestamp())
    (p0, q0, o0), (p1, q1, o1), (p2, q2, o2), (p3, q3, o3), (p4, q4, o4) = _padded(quote.bids)
    (p5, q5, o5), (p6, q6, o6), (p7, q7, o7), (p8, q8, o8), (p9, q9, o9) = _padded(quote.asks)
    return _FULL.pack(
        token, *quote[3:13], stamp, *quote[13:16], stamp,
        q0, p0, o0, q1, p1, o1, q2, p2, o2, q3, p3, o3, q4, p4, o4,
        q5, p5, o5, q6, p6, o6, q7, p7, o7, q8, p8, o8, q9, p9, o9,
    )  # fmt: skip


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
