"""Decode Kite's binary market-data frames into domain ticks.

A frame is a big-endian packet count followed by length-prefixed packets. Decoding runs in two
steps so the hot path stays cheap: `FrameDecoder.packets` unpacks each packet with one
precompiled struct into a tuple of integers (its field count identifies the layout), and
`FrameDecoder.tick` turns such a tuple into a `Tick` with exact decimal prices and UTC times.
`FrameDecoder.batch` defers the second step until its ticks are iterated.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from itertools import repeat
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

# Price divisors by exchange segment (the low byte of the instrument token), as powers of ten.
_CURRENCY_SEGMENTS = {3: 7, 6: 4, 12: 4}
_DEFAULT_PRICE_EXPONENT = 2
# A sweep of 9,000 full-mode instruments touches ~100,000 distinct prices: a smaller cache
# would be cleared on every sweep. At the limit it holds ~50 MB.
_CACHE_LIMIT = 1 << 18

_Model = TypeVar("_Model", bound=BaseModel)
_Value = TypeVar("_Value")


class FrameError(ValueError):
    """A binary frame is shorter than its own packet headers say."""


class _Memo(dict[int, _Value]):
    """Immutable values computed from wire integers, shared across frames; bounded in size.

    Prices cluster around the last price and timestamps repeat within a second, so nearly every
    conversion becomes a dictionary lookup.
    """

    def __init__(self, compute: Callable[[int], _Value]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, raw: int) -> _Value:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[raw] = self._compute(raw)
        return value


def _prices(exponent: int) -> _Memo[Decimal]:
    return _Memo(lambda raw: Decimal(raw).scaleb(-exponent))


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
_TICK_DEFAULTS = {name: field.default for name, field in Tick.model_fields.items()}


class TickBatch:
    """The ticks of one frame, each decoded when iteration reaches it.

    A consumer that publishes and drops each tick then keeps one alive at a time; decoding a
    3,000-packet frame up front would push ~40,000 objects into the garbage collector's older
    generations, whose full collections then dominate the feed's CPU time.
    """

    __slots__ = ("_packets", "_received_at", "_tick")

    def __init__(
        self, packets: list[Packet], received_at: datetime, tick: Callable[[Packet, datetime], Tick]
    ) -> None:
        self._packets = packets
        self._received_at = received_at
        self._tick = tick

    def __len__(self) -> int:
        return len(self._packets)

    def __iter__(self) -> Iterator[Tick]:
        return map(self._tick, self._packets, repeat(self._received_at))


class FrameDecoder:
    """Decode binary frames; keep bounded caches of decimal prices and UTC instants.

    Counts packets it cannot interpret (unknown length or a zero instrument token) in
    `skipped_packets` instead of failing the whole frame.
    """

    def __init__(self) -> None:
        self.skipped_packets = 0
        self._default_prices = _prices(_DEFAULT_PRICE_EXPONENT)
        self._segment_prices = {
            segment: _prices(exponent) for segment, exponent in _CURRENCY_SEGMENTS.items()
        }
        self._instants: _Memo[datetime] = _Memo(partial(datetime.fromtimestamp, tz=UTC))

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
        return list(self.batch(frame, received_at))

    def batch(self, frame: bytes, received_at: datetime) -> TickBatch:
        """Unpack a frame now and return its ticks to decode on iteration, as `ticks` would."""
        return TickBatch(self.packets(frame), received_at, self.tick)

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
            instants = self._instants
            # Spelt out rather than merged from `_quote_values`: the feed's hottest path. Levels
            # are built in C: calling `DepthLevel(...)` would run its __new__ in Python.
            level = tuple.__new__
            return _tick(
                {
                    "instrument_token": v[0],
                    "exchange_timestamp": instants[v[15]] if v[15] else received_at,
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
                    "oi": v[12],
                    "oi_day_high": v[13],
                    "oi_day_low": v[14],
                    "last_trade_time": instants[v[11]] if v[11] else None,
                    # Five bids, then five asks, each (quantity, price, orders) on the wire.
                    "bids": (
                        level(DepthLevel, (prices[v[17]], v[16], v[18])),
                        level(DepthLevel, (prices[v[20]], v[19], v[21])),
                        level(DepthLevel, (prices[v[23]], v[22], v[24])),
                        level(DepthLevel, (prices[v[26]], v[25], v[27])),
                        level(DepthLevel, (prices[v[29]], v[28], v[30])),
                    ),
                    "asks": (
                        level(DepthLevel, (prices[v[32]], v[31], v[33])),
                        level(DepthLevel, (prices[v[35]], v[34], v[36])),
                        level(DepthLevel, (prices[v[38]], v[37], v[39])),
                        level(DepthLevel, (prices[v[41]], v[40], v[42])),
                        level(DepthLevel, (prices[v[44]], v[43], v[45])),
                    ),
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
                "exchange_timestamp": self._instants[v[7]] if full and v[7] else received_at,
                "last_price": prices[v[1]],
                "high": prices[v[2]],
                "low": prices[v[3]],
                "open": prices[v[4]],
                "close": prices[v[5]],
                "mode": "full" if full else "quote",
            }
        )


def _quote_values(v: Packet, prices: _Memo[Decimal]) -> dict[str, Any]:
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
