"""A market snapshot of one instrument, in integer paise as Kite's wire format carries it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

Level = tuple[int, int, int]
"""One depth level: (price in paise, quantity, number of orders)."""

DEPTH_LEVELS = 5


def to_paise(rupees: Decimal) -> int:
    """Convert rupees to integer paise, refusing fractions of a paisa."""
    paise = rupees * 100
    if paise != paise.to_integral_value():
        raise ValueError(f"{rupees} is not a whole number of paise")
    return int(paise)


def json_rupees(paise: float) -> float:
    """Convert paise to the rupee number Kite's JSON carries (two decimals)."""
    return round(paise / 100, 2)


class Quote(NamedTuple):
    """The state of one instrument at one instant; `sequence` changes whenever the state does."""

    instrument_token: int
    sequence: int
    timestamp: datetime
    last_price: int
    last_quantity: int
    average_price: int
    volume: int
    buy_quantity: int
    sell_quantity: int
    open: int
    high: int
    low: int
    close: int
    oi: int
    oi_day_high: int
    oi_day_low: int
    lower_circuit: int
    upper_circuit: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    is_index: bool = False
    """Whether the instrument is an index (streamed in index packets)."""


class MarketModel(Protocol):
    """Anything that can tell the state of an instrument at an instant."""

    def quote(self, instrument_token: int, instant: datetime) -> Quote | None:
        """Return the instrument's state at `instant`, or None when it has none yet."""
        ...


_MASK = 0xFFFFFFFFFFFFFFFF
_SHAPE_SIZE = 16


def mix(*values: int) -> int:
    """Hash integers into 64 well-mixed bits (splitmix64 finaliser), stable across runs."""
    state = 0x9E3779B97F4A7C15
    for value in values:
        state = (state ^ (value & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        state ^= state >> 31
        state = state * 0x94D049BB133111EB & _MASK
        state ^= state >> 29
    return state


DepthShape = tuple[tuple[int, int], ...]
"""Quantities and order counts an instrument's book cycles through."""


def depth_shape(seed: int, token: int, lot: int) -> DepthShape:
    """Draw an instrument's depth shape once; books at each step are windows onto it."""
    pairs = []
    for position in range(_SHAPE_SIZE):
        state = mix(seed, token, position)
        pairs.append((lot * (1 + state % 40), 1 + (state >> 20) % 15))
    return tuple(pairs + pairs[: 2 * DEPTH_LEVELS])


def synthetic_depth(
    shape: DepthShape, token: int, sequence: int, last_price: int, tick: int
) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    """Build five bid and five ask levels around `last_price`, reproducible from the inputs."""
    variant = ((sequence * 0x9E3779B1) ^ (token * 0x85EBCA6B)) >> 7
    offset = variant % _SHAPE_SIZE
    top_bid = last_price - tick * (1 + ((variant >> 5) & 1))
    (q0, o0), (q1, o1), (q2, o2), (q3, o3), (q4, o4) = shape[offset : offset + DEPTH_LEVELS]
    (q5, o5), (q6, o6), (q7, o7), (q8, o8), (q9, o9) = shape[
        offset + DEPTH_LEVELS : offset + 2 * DEPTH_LEVELS
    ]
    if top_bid - 4 * tick < tick:
        top_bid = 5 * tick
    bids = (
        (top_bid, q0, o0),
        (top_bid - tick, q1, o1),
        (top_bid - 2 * tick, q2, o2),
        (top_bid - 3 * tick, q3, o3),
        (top_bid - 4 * tick, q4, o4),
    )
    asks = (
        (last_price + tick, q5, o5),
        (last_price + 2 * tick, q6, o6),
        (last_price + 3 * tick, q7, o7),
        (last_price + 4 * tick, q8, o8),
        (last_price + 5 * tick, q9, o9),
    )
    return bids, asks
