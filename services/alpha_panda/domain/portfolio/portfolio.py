"""Positions, P&L, cash and margin of one namespace, per strategy and in total."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import Field

from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled, OrderPlaced
from alpha_panda.domain.portfolio.activity import Activity
from alpha_panda.domain.portfolio.position import Position
from alpha_panda.domain.portfolio.summary import (
    NamespaceSummary,
    PositionView,
    StrategySummary,
)
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import Frozen, Namespace, ist_date

ZERO = Decimal(0)
PAISA = Decimal("0.01")
SNAPSHOT_VERSION = 3
# version 1 kept fill ids without their day; version 2 had no activity of the day
_LOADABLE_VERSIONS = (1, 2, SNAPSHOT_VERSION)


class PortfolioConfig(Frozen):
    """Opening cash of the namespace's account and the share of exposure blocked as margin."""

    namespace: Namespace
    initial_cash: Decimal = Decimal(0)
    margin_fraction: Decimal = Field(default=Decimal(1), gt=0, le=1)


class _BookedFills:
    """The fill ids of the last two IST trading days booked.

    Enough to spot a fill booked twice: a fill belongs to one day's order, so the ids of older
    days never come back, and the set no longer grows for as long as the service runs.
    """

    __slots__ = ("_days",)

    def __init__(self, days: dict[str, set[str]] | None = None) -> None:
        self._days = days or {}

    def __contains__(self, fill_id: str) -> bool:
        return any(fill_id in ids for ids in self._days.values())

    def add(self, fill_id: str, day: str) -> None:
        ids = self._days.get(day)
        if ids is None:
            ids = self._days[day] = set()
            for old in sorted(self._days)[:-2]:
                del self._days[old]
        ids.add(fill_id)

    def dump(self) -> dict[str, list[str]]:
        return {day: sorted(ids) for day, ids in sorted(self._days.items())}


class _Account:
    """One strategy's positions and the totals that only fills change."""

    __slots__ = ("booked", "charges", "fills", "positions", "realized_pnl")

    def __init__(self) -> None:
        self.positions: list[Position] = []
        self.realized_pnl = ZERO
        self.charges = ZERO
        self.fills = 0
        self.booked = ZERO  # realized P&L minus charges, read with every net P&L

    def add(self, realized_pnl: Decimal, charges: Decimal, fills: int) -> None:
        """Add booked figures (of a fill, or of a restored position)."""
        self.realized_pnl += realized_pnl
        self.charges += charges
        self.fills += fills
        self.booked = self.realized_pnl - self.charges

    @property
    def unrealized_pnl(self) -> Decimal:
        return sum((position.unrealized_pnl for position in self.positions), ZERO)

    @property
    def exposure(self) -> Decimal:
        return sum((position.exposure for position in self.positions), ZERO)


class Portfolio:
    """Book fills and marks for every strategy of a namespace.

    `apply_fill` returns False for a fill id already booked, so a redelivered fill is
    detectable and harmless. A mark only stores the last price (ticks are the hot path);
    unrealized figures are computed when read. The snapshot stores positions and fill ids;
    strategy totals are rebuilt from them.
    """

    def __init__(self, config: PortfolioConfig) -> None:
        self.config = config
        self._positions: dict[tuple[str, int], Position] = {}
        self._by_instrument: dict[int, list[Position]] = {}
        self._accounts: dict[str, _Account] = {}
        self._fill_ids = _BookedFills()
        self.activity = Activity()

    def has_fill(self, fill_id: str) -> bool:
        """Return whether a fill id was already booked."""
        return fill_id in self._fill_ids

    def apply_fill(self, fill: OrderFilled) -> bool:
        """Book a fill; return False (and change nothing) if its fill id was seen before."""
        if fill.fill_id in self._fill_ids:
            return False
        self._fill_ids.add(fill.fill_id, ist_date(fill.filled_at))
        position = self._position(fill.strategy_id, fill.instrument_token)
        charges = fill.charges
        realized = position.apply(fill.side.sign * fill.quantity, fill.price, charges)
        self._accounts[fill.strategy_id].add(realized, charges, 1)
        self.activity.fill(fill.strategy_id, fill.filled_at)
        return True

    def note_order(self, order: OrderPlaced) -> None:
        """Count an order placed for the strategy's activity of the day."""
        self.activity.order(order.strategy_id, order.placed_at)

    def note_signal(self, signal: Signal) -> None:
        """Remember when the strategy last signalled."""
        self.activity.signal(signal.strategy_id, signal.generated_at)

    def mark(self, tick: Tick) -> None:
        """Mark every position in the tick's instrument to its last price."""
        self.mark_price(tick.instrument_token, tick.last_price)

    def mark_price(self, instrument_token: int, price: Decimal) -> None:
        """Do `mark` with fields a caller already read (reading a tick's costs more)."""
        positions = self._by_instrument.get(instrument_token)
        if positions:
            for position in positions:
                position.last_price = price

    def position(self, strategy_id: str, instrument_token: int) -> int:
        """Return the signed quantity a strategy holds in an instrument."""
        position = self._positions.get((strategy_id, instrument_token))
        return position.quantity if position else 0

    def holdings(self, strategy_id: str) -> list[tuple[int, int, Decimal]]:
        """Return (instrument token, signed quantity, mark price) of a strategy's open positions."""
        return [
            (token, position.quantity, position.last_price)
            for (owner, token), position in sorted(self._positions.items())
            if owner == strategy_id and position.quantity
        ]

    def open_positions(self, strategy_id: str | None = None) -> list[PositionView]:
        """Return the non-flat positions, of one strategy or all, in a stable order."""
        return [
            self._view(position)
            for key, position in sorted(self._positions.items())
            if position.quantity and (strategy_id is None or key[0] == strategy_id)
        ]

    def positions(self) -> list[PositionView]:
        """Return every position ever opened, flat ones included, in a stable order."""
        return [self._view(position) for _, position in sorted(self._positions.items())]

    def strategy_ids(self) -> list[str]:
        """Return the strategies that have booked fills or signalled, sorted."""
        return sorted(set(self._accounts) | self.activity.strategy_ids())

    def net_pnl(self, strategy_id: str) -> Decimal:
        """Return realized plus unrealized P&L minus charges of a strategy (exact)."""
        account = self._accounts.get(strategy_id)
        if account is None:
            return ZERO
        pnl = account.booked
        for position in account.positions:
            if position.quantity:
                pnl += position.quantity * position.last_price - position.open_cost
        return pnl

    def strategy_summary(self, strategy_id: str) -> StrategySummary:
        """Return the P&L figures of one strategy, rounded to the paisa."""
        account = self._accounts.get(strategy_id) or _Account()
        orders, fills, last_signal = self.activity.of(strategy_id)
        return StrategySummary(
            **self._figures([account]),
            strategy_id=strategy_id,
            orders_today=orders,
            fills_today=fills,
            last_signal_at=last_signal,
        )

    def namespace_summary(self) -> NamespaceSummary:
        """Return the figures of the whole namespace, with cash, equity and free margin."""
        figures = self._figures(list(self._accounts.values()))
        cash = self.config.initial_cash + figures["realized_pnl"] - figures["charges"]
        equity = cash + figures["unrealized_pnl"]
        return NamespaceSummary(
            **figures,
            namespace=self.config.namespace,
            cash=cash,
            equity=equity,
            available_margin=equity - figures["margin_used"],
        )

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-able data."""
        return {
            "version": SNAPSHOT_VERSION,
            "positions": [position.to_dict() for _, position in sorted(self._positions.items())],
            "fill_ids": self._fill_ids.dump(),
            "activity": self.activity.dump(),
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace the state with a `snapshot` result, rebuilding the strategy totals."""
        version = snapshot.get("version")
        if version not in _LOADABLE_VERSIONS:
            raise ValueError(f"unsupported portfolio snapshot version {version}")
        self._positions.clear()
        self._by_instrument.clear()
        self._accounts.clear()
        fill_ids = snapshot["fill_ids"]
        if version == 1:  # days unknown: kept under the oldest day there is, dropped in time
            fill_ids = {"": fill_ids}
        self._fill_ids = _BookedFills({day: set(ids) for day, ids in fill_ids.items()})
        self.activity = Activity.load(snapshot.get("activity"))
        for data in snapshot["positions"]:
            position = self._register(Position.from_dict(data))
            self._accounts[position.strategy_id].add(
                position.realized_pnl, position.charges, position.fills
            )

    def _position(self, strategy_id: str, instrument_token: int) -> Position:
        position = self._positions.get((strategy_id, instrument_token))
        return position or self._register(Position(strategy_id, instrument_token))

    def _register(self, position: Position) -> Position:
        self._positions[position.strategy_id, position.instrument_token] = position
        self._by_instrument.setdefault(position.instrument_token, []).append(position)
        self._accounts.setdefault(position.strategy_id, _Account()).positions.append(position)
        return position

    def _figures(self, accounts: list[_Account]) -> dict[str, Any]:
        realized = sum((account.realized_pnl for account in accounts), ZERO)
        unrealized = sum((account.unrealized_pnl for account in accounts), ZERO)
        charges = sum((account.charges for account in accounts), ZERO)
        exposure = sum((account.exposure for account in accounts), ZERO)
        return {
            "realized_pnl": realized,
            "unrealized_pnl": unrealized,
            "gross_pnl": realized + unrealized,
            "charges": charges,
            "net_pnl": realized + unrealized - charges,
            "exposure": exposure,
            "margin_used": (exposure * self.config.margin_fraction).quantize(PAISA, ROUND_HALF_UP),
            "fills": sum(account.fills for account in accounts),
        }

    @staticmethod
    def _view(position: Position) -> PositionView:
        return PositionView(
            strategy_id=position.strategy_id,
            instrument_token=position.instrument_token,
            quantity=position.quantity,
            average_price=position.average_price.quantize(Decimal("0.0001"), ROUND_HALF_UP),
            last_price=position.last_price,
            realized_pnl=position.realized_pnl,
            unrealized_pnl=position.unrealized_pnl,
            charges=position.charges,
        )
