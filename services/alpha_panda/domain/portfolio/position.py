"""One strategy's holding in one instrument, with FIFO lots for exact realized P&L."""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from enum import IntEnum
from typing import Any

ZERO = Decimal(0)


class Direction(IntEnum):
    """Which way a holding points; its value is the sign quantities and costs carry."""

    SHORT = -1
    FLAT = 0
    LONG = 1

    @classmethod
    def of(cls, quantity: int) -> Direction:
        """Return the direction of a signed quantity."""
        return cls.LONG if quantity > 0 else cls.SHORT if quantity < 0 else cls.FLAT


class Position:
    """A signed quantity built from FIFO lots.

    Realized P&L matches each closing quantity against the oldest open lots (first in, first
    out, as Zerodha's P&L statement does), so every figure is an exact sum of quantity times
    price: no average price is ever rounded into the ledger. `open_cost` is the signed cost of
    the open lots, so unrealized P&L is `quantity * mark - open_cost` for longs and shorts.
    """

    __slots__ = (
        "charges",
        "fills",
        "instrument_token",
        "last_price",
        "lots",
        "open_cost",
        "quantity",
        "realized_pnl",
        "strategy_id",
    )

    def __init__(self, strategy_id: str, instrument_token: int) -> None:
        self.strategy_id = strategy_id
        self.instrument_token = instrument_token
        self.quantity = 0
        self.lots: deque[list[Any]] = deque()  # [open quantity (unsigned), price]
        self.open_cost = ZERO
        self.realized_pnl = ZERO
        self.charges = ZERO
        self.fills = 0
        self.last_price = ZERO  # set by the first fill, then by ticks

    @property
    def direction(self) -> Direction:
        """Return whether the position is long, short or flat."""
        return Direction.of(self.quantity)

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the mark-to-market P&L of the open quantity."""
        return self.quantity * self.last_price - self.open_cost if self.quantity else ZERO

    @property
    def exposure(self) -> Decimal:
        """Return the absolute value of the open quantity at the mark price."""
        return abs(self.quantity) * self.last_price

    @property
    def average_price(self) -> Decimal:
        """Return the average price of the open lots (exact quotient; zero when flat)."""
        return self.open_cost / self.quantity if self.quantity else ZERO

    def apply(self, signed_quantity: int, price: Decimal, charges: Decimal) -> Decimal:
        """Book an execution (positive buys, negative sells); return the P&L it realized."""
        self.charges += charges
        self.fills += 1
        realized = ZERO
        remaining = signed_quantity
        direction = int(Direction.of(self.quantity))  # a plain int: it multiplies in the loop
        if direction and (remaining > 0) != (direction > 0):
            lots = self.lots
            while remaining and lots:
                lot = lots[0]
                closed = min(abs(remaining), lot[0])
                realized += closed * (price - lot[1]) * direction
                self.open_cost -= closed * lot[1] * direction
                self.quantity -= closed * direction
                remaining += closed * direction
                lot[0] -= closed
                if lot[0] == 0:
                    lots.popleft()
        if remaining:
            self.lots.append([abs(remaining), price])
            self.open_cost += remaining * price
            self.quantity += remaining
        self.realized_pnl += realized
        self.last_price = price
        return realized

    def to_dict(self) -> dict[str, Any]:
        """Return the position as JSON-able data."""
        return {
            "strategy_id": self.strategy_id,
            "instrument_token": self.instrument_token,
            "quantity": self.quantity,
            "lots": [[quantity, str(price)] for quantity, price in self.lots],
            "realized_pnl": str(self.realized_pnl),
            "charges": str(self.charges),
            "fills": self.fills,
            "last_price": str(self.last_price),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Position:
        """Rebuild a position from `to_dict` output."""
        position = cls(data["strategy_id"], int(data["instrument_token"]))
        position.quantity = int(data["quantity"])
        sign = int(position.direction)
        for quantity, price in data["lots"]:
            position.lots.append([int(quantity), Decimal(price)])
            position.open_cost += sign * int(quantity) * Decimal(price)
        position.realized_pnl = Decimal(data["realized_pnl"])
        position.charges = Decimal(data["charges"])
        position.fills = int(data["fills"])
        position.last_price = Decimal(data["last_price"])
        return position
