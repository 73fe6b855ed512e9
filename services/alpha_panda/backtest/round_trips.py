"""Round trips: a strategy's fills paired first-in, first-out into entries and exits."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.values import Side

PAISA = Decimal("0.01")


@dataclass(frozen=True)
class RoundTrip:
    """A position opened by one fill and closed by another; `exit_at` is None while open.

    Charges are those of the entry and exit fills, shared by quantity when a fill opens or
    closes several round trips, so the round trips' charges add up to the fills' exactly.
    """

    instrument_token: int
    tradingsymbol: str
    side: Side
    quantity: int
    entry_at: datetime
    entry_price: Decimal
    exit_at: datetime | None
    exit_price: Decimal | None
    charges: Decimal

    @property
    def gross_pnl(self) -> Decimal | None:
        """Return the price difference times quantity, or None while open."""
        if self.exit_price is None:
            return None
        return (self.exit_price - self.entry_price) * self.quantity * self.side.sign

    @property
    def net_pnl(self) -> Decimal | None:
        """Return the gross P&L after charges, or None while open."""
        gross = self.gross_pnl
        return None if gross is None else gross - self.charges


class _Lot:
    """The still-open part of an entry fill."""

    __slots__ = ("charges", "fill", "quantity")

    def __init__(self, fill: OrderFilled, quantity: int, charges: Decimal) -> None:
        self.fill = fill
        self.quantity = quantity
        self.charges = charges

    def take(self, quantity: int) -> Decimal:
        """Close `quantity` of the lot; return the entry charges that go with it."""
        share = _portion(self.charges, quantity, self.quantity)
        self.quantity -= quantity
        self.charges -= share
        return share


def _portion(charges: Decimal, part: int, whole: int) -> Decimal:
    """Return the charges of `part` of `whole` units; all of them when the part is the whole."""
    return charges if part == whole else (charges * part / whole).quantize(PAISA)


def round_trips(fills: Iterable[OrderFilled]) -> list[RoundTrip]:
    """Pair fills per instrument, oldest open lot first; open lots come last, as open trips."""
    lots: dict[int, deque[_Lot]] = {}
    closed: list[RoundTrip] = []
    for fill in fills:
        book = lots.setdefault(fill.instrument_token, deque())
        remaining, charges = fill.quantity, fill.charges
        while remaining and book and book[0].fill.side is not fill.side:
            lot = book[0]
            matched = min(remaining, lot.quantity)
            exit_share = _portion(charges, matched, remaining)
            closed.append(_closed(lot, lot.take(matched), fill, matched, exit_share))
            remaining -= matched
            charges -= exit_share
            if not lot.quantity:
                book.popleft()
        if remaining:
            book.append(_Lot(fill, remaining, charges))
    still_open = [_open(lot) for token in sorted(lots) for lot in lots[token] if lot.quantity]
    return closed + still_open


def _closed(
    lot: _Lot, entry_charges: Decimal, fill: OrderFilled, quantity: int, exit_charges: Decimal
) -> RoundTrip:
    entry = lot.fill
    return RoundTrip(
        instrument_token=entry.instrument_token,
        tradingsymbol=entry.tradingsymbol or fill.tradingsymbol,
        side=entry.side,
        quantity=quantity,
        entry_at=entry.filled_at,
        entry_price=entry.price,
        exit_at=fill.filled_at,
        exit_price=fill.price,
        charges=entry_charges + exit_charges,
    )


def _open(lot: _Lot) -> RoundTrip:
    entry = lot.fill
    return RoundTrip(
        instrument_token=entry.instrument_token,
        tradingsymbol=entry.tradingsymbol,
        side=entry.side,
        quantity=lot.quantity,
        entry_at=entry.filled_at,
        entry_price=entry.price,
        exit_at=None,
        exit_price=None,
        charges=lot.charges,
    )
