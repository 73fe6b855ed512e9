"""A market snapshot of one instrument, in integer paise as Kite's wire format carries it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

Level = tuple[int, int, int]
"""One depth level: (price in paise, quantity, number of orders)."""

DEPTH_LEVELS = 5


def to_paise(rupees: Decimal) -> int:
    """Convert rupees to integer paise, refusing fractions of a paisa."""
    paise = rupees * 100
    if paise != paise.to_integral_value():
        raise ValueError(f"{rupees} is not a whole number of paise")
    return int(paise)


def to_rupees(paise: int) -> Decimal:
    """Convert integer paise to rupees as an exact decimal."""
    return Decimal(paise).scaleb(-2)


@dataclass(frozen=True, slots=True)
class Quote:
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


class MarketModel(Protocol):
    """Anything that can tell the state of an instrument at an instant."""

    def quote(self, instrument_token: int, instant: datetime) -> Quote | None:
        """Return the instrument's state at `instant`, or None when it has none yet."""
        ...


_MASK = 0xFFFFFFFFFFFFFFFF
_LCG_MULTIPLIER = 6364136223846793005
_LCG_INCREMENT = 1442695040888963407


def mix(*values: int) -> int:
    """Hash integers into 64 well-mixed bits (splitmix64 finaliser), stable across runs."""
    state = 0x9E3779B97F4A7C15
    for value in values:
        state = (state ^ (value & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 31
        state = state * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 29
    return state


def synthetic_depth(
    seed: int, token: int, sequence: int, last_price: int, tick: int, lot: int
) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    """Build five bid and five ask levels around `last_price`, reproducible from the inputs."""
    state = mix(seed, token, sequence)
    spread_ticks = 1 + (state & 1)
    levels: list[Level] = []
    for level in range(2 * DEPTH_LEVELS):
        state = (state * _LCG_MULTIPLIER + _LCG_INCREMENT) & _MASK
        if level < DEPTH_LEVELS:
            price = max(last_price - tick * (spread_ticks + level), tick)
        else:
            price = last_price + tick * (level - DEPTH_LEVELS + 1)
        levels.append((price, lot * (1 + (state >> 33) % 40), 1 + (state >> 20) % 15))
    return tuple(levels[:DEPTH_LEVELS]), tuple(levels[DEPTH_LEVELS:])
