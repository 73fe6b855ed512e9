"""Decode Kite's binary market-data frames into domain ticks.

A frame is a big-endian packet count followed by length-prefixed packets. Decoding runs in two
steps so the hot path stays cheap: `FrameDecoder.packets` unpacks each packet with one
precompiled struct into a tuple of integers (its field count identifies the layout), and
`FrameDecoder.tick` turns such a tuple into a `Tick` with exact decimal prices and UTC times.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from alpha_panda.domain.market import DepthLevel, Tick

Packet = tuple[int, ...]
"""The unsigned integer fields of one packet, in wire order; their count names the layout."""

_COUNT = struct.Struct(">H")
_LAYOUTS = {
    8: struct.Struct(">2I"),  # LTP
    28: struct.Struct(">7I"),  # index quote
    32: struct.Struct(">8I"),  # index full
    44: struct.Struct(">11I"),  # quote
    184: struct.Struct(">16I" + "IIHxx" * 10),  # full, with five bid and five ask levels
}
# Field counts of the layouts above: a packet's layout is known from its tuple length alone.
_LTP, _INDEX_FULL, _QUOTE, _FULL = 2, 8, 11, 46
_DEPTH_START = 16
_DEPTH_LEVELS = 5

# Price divisors by exchange segment (the low byte of the instrument token), as powers of ten.
_CURRENCY_SEGMENTS = {3: 7, 6: 4, 12: 4}
_DEFAULT_PRICE_EXPONENT = 2
_PRICE_CACHE_LIMIT = 1 << 16

_Model = TypeVar("_Model", bound=BaseModel)


class FrameError(ValueError):
    """A binary frame is shorter than its own packet headers say."""


class _PriceCache(dict[int, Decimal]):
    """Exact decimal prices by raw wire value for one divisor, bounded in size."""

    def __init__(self, exponent: int) -> None:
        super().__init__()
        self._exponent = -exponent

    def __missing__(self, raw: int) -> Decimal:
        if len(self) >= _PRICE_CACHE_LIMIT:
            self.clear()
        price = self[raw] = Decimal(raw).scaleb(self._exponent)
        return price


def _assembler(model: type[_Model]) -> Callable[[dict[str, Any]], _Model]:
    """Return a constructor for `model` from a complete, already-valid field mapping.

    Validation is skipped because every value comes from a fixed-width wire field whose range
    the model already accepts; `model_construct` is slower than validating, so the instance is
    filled directly. Unit tests check the result equals a validated instance.
    """
    fields_set = frozenset(model.model_fields)
    create = object.__new__
    assign = object.__setattr__

    def assemble(values: dict[str, Any]) -> _Model:
        instance = create(model)
        assign(instance, "__dict__", values)
        assign(instance, "__pydantic_fields_set__", fields_set)
        assign(instance, "__pydantic_extra__", None)
        assign(instance, "__pydantic_private__", None)
        return instance

    return assemble


_tick = _assembler(Tick)
_depth_level = _assembler(DepthLevel)
_TICK_DEFAULTS = {name: field.default for name, field in Tick.model_fields.items()}


class FrameDecoder:
    """Decode binary frames; keep a bounded cache of decimal prices across frames.

    Counts packets it cannot interpret (unknown length or a zero instrument token) in
    `skipped_packets` instead of failing the whole frame.
    """

    def __init__(self) -> None:
        self.skipped_packets = 0
        self._default_prices = _PriceCache(_DEFAULT_PRICE_EXPONENT)
        self._segment_prices = {
            segment: _PriceCache(exponent) for segment, exponent in _CURRENCY_SEGMENTS.items()
        }

    def packets(self, frame: bytes) -> list[Packet]:
        """Unpack every packet of a frame; return [] for a heartbeat (a frame under 2 bytes)."""
        size = len(frame)
        if size < 2:
            return []
        offset = 2
        packets: list[Packet] = []
        layouts = _LAYOUTS
        try:
            for _ in range(_COUNT.unpack_from(frame)[0]):
                length = _COUNT.unpack_from(frame, offset)[0]
                offset += 2
                layout = layouts.get(length)
                if layout is None:
                    self.skipped_packets += 1
                else:
                    fields = layout.unpack_from(frame, offset)
                    if fields[0]:
                        packets.append(fields)
                    else:
                        self.skipped_packets += 1
                offset += length
        except struct.error as error:
            raise FrameError(f"frame of {size} bytes ends inside a packet") from error
        if offset > size:
            raise FrameError(f"frame of {size} bytes ends inside a packet")
        return packets

    def ticks(self, frame: bytes, received_at: datetime) -> list[Tick]:
        """Decode a frame into ticks; `received_at` stamps packets that carry no exchange time."""
        tick = self.tick
        return [tick(packet, received_at) for packet in self.packets(frame)]

    def tick(self, packet: Packet, received_at: datetime) -> Tick:
        """Convert one unpacked packet into a `Tick`.

        Exchange timestamps are Unix epoch seconds (the official client shows them as local
        wall-clock time, IST on an Indian host); a zero or absent one falls back to
        `received_at`, which must be timezone-aware.
        """
        v = packet
        prices = self._segment_prices.get(v[0] & 0xFF, self._default_prices)
        layout = len(v)
        if layout == _FULL:
            level = _depth_level
            depth = [
                level({"price": prices[v[i + 1]], "quantity": v[i], "orders": v[i + 2]})
                for i in range(_DEPTH_START, len(v), 3)
            ]
            return _tick(
                {
                    **_quote_values(v, prices),
                    "exchange_timestamp": _instant(v[15], received_at),
                    "last_trade_time": datetime.fromtimestamp(v[11], UTC) if v[11] else None,
                    "oi": v[12],
                    "oi_day_high": v[13],
                    "oi_day_low": v[14],
                    "bids": tuple(depth[:_DEPTH_LEVELS]),
                    "asks": tuple(depth[_DEPTH_LEVELS:]),
                    "mode": "full",
                }
            )
        if layout == _QUOTE:
            return _tick({**_quote_values(v, prices), "exchange_timestamp": received_at})
        if layout == _LTP:
            return _tick(
                {
                    **_TICK_DEFAULTS,
                    "instrument_token": v[0],
                    "exchange_timestamp": received_at,
                    "last_price": prices[v[1]],
                }
            )
        full = layout == _INDEX_FULL
        return _tick(
            {
                **_TICK_DEFAULTS,
                "instrument_token": v[0],
                "exchange_timestamp": _instant(v[7], received_at) if full else received_at,
                "last_price": prices[v[1]],
                "high": prices[v[2]],
                "low": prices[v[3]],
                "open": prices[v[4]],
                "close": prices[v[5]],
                "mode": "full" if full else "quote",
            }
        )


def _quote_values(v: Packet, prices: _PriceCache) -> dict[str, Any]:
    return {
        **_TICK_DEFAULTS,
        "instrument_token": v[0],
        "last_price": prices[v[1]],
        "last_quantity": v[2],
        "average_price": prices[v[3]],
        "volume": v[4],
        "buy_quantity": v[5],
        "sell_quantity": v[6],
        "open": prices[v[7]],
        "high": prices[v[8]],
        "low": prices[v[9]],
        "close": prices[v[10]],
        "mode": "quote",
    }


def _instant(epoch_seconds: int, fallback: datetime) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC) if epoch_seconds else fallback
