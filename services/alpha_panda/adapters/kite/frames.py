"""Decode Kite's binary market-data frames into domain ticks.

A frame is a big-endian packet count followed by length-prefixed packets. Decoding runs in two
steps so the hot path stays cheap: `FrameDecoder.packets` unpacks each packet with one
precompiled struct (a frame of equally long packets in a single call) into a tuple of integers
(its field count identifies the layout), and
`FrameDecoder.tick` turns such a tuple into a `Tick` with exact decimal prices and UTC times.
`FrameDecoder.batch` defers the second step until its ticks are iterated.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Any

from pydantic import BaseModel

from alpha_panda.domain.market import Tick

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
# The same layouts behind their 2-byte length prefix: Kite sends a mode's packets together, so a
# frame of equally long packets unpacks in one `iter_unpack` call.
_RUNS = {length: struct.Struct(">2x" + layout.format[1:]) for length, layout in _LAYOUTS.items()}
_TOKEN = itemgetter(0)
# Field counts of the layouts above: a packet's layout is known from its tuple length alone.
_LTP, _INDEX_QUOTE, _INDEX_FULL, _QUOTE, _FULL = 2, 7, 8, 11, 46
_TIMED_LAYOUTS = frozenset((_FULL, _INDEX_FULL))
"""The layouts of full-mode packets, the ones with an exchange timestamp."""
# Where each layout carries prices and epoch times, to fill the caches when a packet misses.
_PRICE_FIELDS = {
    _LTP: (1,),
    _INDEX_QUOTE: (1, 2, 3, 4, 5),
    _INDEX_FULL: (1, 2, 3, 4, 5),
    _QUOTE: (1, 3, 7, 8, 9, 10),
    _FULL: (1, 3, 7, 8, 9, 10, *range(17, _FULL, 3)),
}
_TIME_FIELDS = {_INDEX_FULL: (7,), _FULL: (11, 15)}

# Price divisors by exchange segment (the low byte of the instrument token), as powers of ten.
_CURRENCY_SEGMENTS = {3: 7, 6: 4, 12: 4}
_DEFAULT_PRICE_EXPONENT = 2
# A sweep of 9,000 full-mode instruments touches ~100,000 distinct prices: a smaller cache
# would be cleared on every sweep. At the limit it holds ~50 MB.
_CACHE_LIMIT = 1 << 18

# A `Tick` is filled in directly, without validation: every value comes from a fixed-width wire
# field whose range the model already accepts, and `model_construct` costs more than
# validating. The slot setters are bound once; `object.__setattr__` would look each name up.
# Unit tests check the result equals a validated instance.
_new_tick = object.__new__
_slots = vars(BaseModel)
_set_dict = _slots["__dict__"].__set__
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__
_TICK_FIELDS = frozenset(Tick.model_fields)
_TICK_DEFAULTS = {name: field.default for name, field in Tick.model_fields.items()}


class FrameError(ValueError):
    """A binary frame is shorter than its own packet headers say."""


class TickBatch:
    """The ticks of one frame, each decoded when iteration reaches it.

    A consumer that publishes and drops each tick then keeps one alive at a time. Decoding a
    3,000-packet frame up front costs ~60 % more CPU: its ticks and their field dicts would reach
    the garbage collector's older generations, whose collections are slow.
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

    Prices cluster around the last price and timestamps repeat within a second, so nearly every
    conversion becomes a lookup in a plain dict (CPython's fast path; a dict subclass with
    `__missing__` costs nearly twice as much). A packet that misses fills the caches and decodes
    again.

    Counts packets it cannot interpret (unknown length or a zero instrument token) in
    `skipped_packets` instead of failing the whole frame.

    With `full_only`, packets in the other modes are skipped and counted too. A client that
    streams in full mode still gets them: Kite streams a new subscription in quote mode until
    the mode request takes effect. They carry no exchange time, and a tick stamped with the
    local clock instead breaks the exchange's order of time that strategies and risk judge by
    (against the simulator's accelerated day, by hours).
    """

    def __init__(self, *, full_only: bool = False) -> None:
        self.skipped_packets = 0
        self._full_only = full_only
        default: dict[int, Decimal] = {}
        currency: dict[int, dict[int, Decimal]] = {segment: {} for segment in _CURRENCY_SEGMENTS}
        # Indexed by segment, so choosing a packet's prices is one tuple subscript.
        self._prices = tuple(currency.get(segment, default) for segment in range(256))
        self._instants: dict[int, datetime] = {}

    def packets(self, frame: bytes) -> list[Packet]:
        """Unpack every packet of a frame; return [] for a heartbeat (a frame under 2 bytes)."""
        size = len(frame)
        if size < 2:
            return []
        count = _COUNT.unpack_from(frame)[0]
        if size >= 4:
            length = _COUNT.unpack_from(frame, 2)[0]
            run = _RUNS.get(length)
            stride = length + 2
            if (
                run is not None
                and size == 2 + count * stride
                and frame[2::stride] == bytes((length >> 8,)) * count
                and frame[3::stride] == bytes((length & 0xFF,)) * count
            ):
                # Dropping packets whose token is zero, as the loop below does.
                packets = list(filter(_TOKEN, run.iter_unpack(memoryview(frame)[2:])))
                self.skipped_packets += count - len(packets)
                return packets
        offset = 2
        packets = []
        layouts = _LAYOUTS
        try:
            for _ in range(count):
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
        packets = self.packets(frame)
        if self._full_only:
            timed = [packet for packet in packets if len(packet) in _TIMED_LAYOUTS]
            self.skipped_packets += len(packets) - len(timed)
            packets = timed
        return TickBatch(packets, received_at, self.tick)

    def tick(self, packet: Packet, received_at: datetime) -> Tick:
        """Convert one unpacked packet into a `Tick`.

        Exchange timestamps are Unix epoch seconds (the official client shows them as local
        wall-clock time, IST on an Indian host); a zero or absent one falls back to
        `received_at`, which must be timezone-aware.
        """
        try:
            values = self._values(packet, received_at)
        except KeyError:
            self._remember(packet)
            values = self._values(packet, received_at)
        tick = _new_tick(Tick)
        _set_dict(tick, values)
        _set_fields_set(tick, _TICK_FIELDS)
        _set_extra(tick, None)
        _set_private(tick, None)
        return tick

    def _values(self, v: Packet, received_at: datetime) -> dict[str, Any]:
        """Return the `Tick` fields of a packet; raise KeyError if a price or time is uncached."""
        prices = self._prices[v[0] & 0xFF]
        layout = len(v)
        if layout == _FULL:
            # Every field spelt out, here and for quotes (the feed's usual modes): merging a
            # defaults dict made a quote tick ~20 % dearer. A unit test fails on a missing field.
            (
                token, last, last_quantity, average, volume, buy_quantity, sell_quantity,
                open_, high, low, close, trade_time, oi, oi_high, oi_low, stamp,
                q0, p0, n0, q1, p1, n1, q2, p2, n2, q3, p3, n3, q4, p4, n4,
                q5, p5, n5, q6, p6, n6, q7, p7, n7, q8, p8, n8, q9, p9, n9,
            ) = v  # fmt: skip
            instants = self._instants
            # At most 15 entries: a longer literal compiles to one insertion at a time, with
            # two resizes, instead of a presized build.
            values = {
                "instrument_token": token,
                "exchange_timestamp": instants[stamp] if stamp else received_at,
                "last_price": prices[last],
                "last_quantity": last_quantity,
                "average_price": prices[average],
                "volume": volume,
                "buy_quantity": buy_quantity,
                "sell_quantity": sell_quantity,
                "open": prices[open_],
                "high": prices[high],
                "low": prices[low],
                "close": prices[close],
                "oi": oi,
                "oi_day_high": oi_high,
                "oi_day_low": oi_low,
            }
            values["last_trade_time"] = instants[trade_time] if trade_time else None
            # Each level is (quantity, price, orders) on the wire.
            values["bids"] = (
                (prices[p0], q0, n0),
                (prices[p1], q1, n1),
                (prices[p2], q2, n2),
                (prices[p3], q3, n3),
                (prices[p4], q4, n4),
            )
            values["asks"] = (
                (prices[p5], q5, n5),
                (prices[p6], q6, n6),
                (prices[p7], q7, n7),
                (prices[p8], q8, n8),
                (prices[p9], q9, n9),
            )
            values["mode"] = "full"
            return values
        if layout == _QUOTE:
            values = {
                "instrument_token": v[0],
                "exchange_timestamp": received_at,
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
                "oi": None,
                "oi_day_high": None,
                "oi_day_low": None,
            }
            values["last_trade_time"] = None
            values["bids"] = values["asks"] = ()
            values["mode"] = "quote"
            return values
        if layout == _LTP:
            return {
                **_TICK_DEFAULTS,
                "instrument_token": v[0],
                "exchange_timestamp": received_at,
                "last_price": prices[v[1]],
            }
        full = layout == _INDEX_FULL
        return {
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

    def _remember(self, packet: Packet) -> None:
        """Cache every price and time of a packet, clearing a cache that has grown too large."""
        segment = packet[0] & 0xFF
        scale = -_CURRENCY_SEGMENTS.get(segment, _DEFAULT_PRICE_EXPONENT)
        layout = len(packet)
        prices = self._prices[segment]
        for raw in _fresh(prices, packet, _PRICE_FIELDS[layout]):
            prices[raw] = Decimal(raw).scaleb(scale)
        instants = self._instants
        for raw in _fresh(instants, packet, _TIME_FIELDS.get(layout, ())):
            instants[raw] = datetime.fromtimestamp(raw, UTC)


def _fresh(cache: dict[int, Any], packet: Packet, positions: tuple[int, ...]) -> list[int]:
    """Return the packet's values at `positions` that `cache` lacks, making room for them."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    return [packet[position] for position in positions if packet[position] not in cache]
