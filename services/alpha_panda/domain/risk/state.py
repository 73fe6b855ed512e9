"""Everything the risk engine remembers, and its JSON-able snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from alpha_panda.domain.market import Tick
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.risk.in_flight import InFlightOrders
from alpha_panda.domain.risk.limits import RiskLimits, StrategyDefinition
from alpha_panda.domain.risk.rate_limit import TokenBucket
from alpha_panda.domain.values import IST, Namespace

SNAPSHOT_VERSION = 2
_LOADABLE_VERSIONS = (
    1,
    SNAPSHOT_VERSION,
)  # version 1 had no orders in flight, definitions or ticks
ZERO = Decimal(0)
NEVER = datetime.min.replace(tzinfo=UTC)


class RiskState:
    """Positions and P&L (from fills and ticks), orders in flight, last prices and ticks, the
    strategies' definitions, the IST trading day with its order counts and loss halts,
    kill-switch halts (one flag per strategy, set by a halt or a paused definition) and the
    order-rate bucket.

    The day rolls on the first event stamped at or after midnight IST: order counts and
    daily-loss halts reset, and each strategy's net P&L at that moment becomes the base its
    daily P&L is measured from (realized and mark-to-market alike).
    """

    def __init__(self, namespace: Namespace, bucket: TokenBucket | None) -> None:
        self.book = Portfolio(PortfolioConfig(namespace=namespace))
        self.bucket = bucket
        self.in_flight = InFlightOrders()
        self.definitions: dict[str, StrategyDefinition] = {}
        self.last_prices: dict[int, Decimal] = {}
        self.last_ticks: dict[int, Tick] = {}
        self.clock = NEVER
        self.day: str | None = None
        self.day_end = NEVER
        self.day_start_pnl: dict[str, Decimal] = {}
        self.orders_today: dict[str, int] = {}
        self.loss_halted: set[str] = set()
        self.namespace_loss_halted = False
        self.halted_strategies: dict[str, str] = {}
        self.namespace_halt: str | None = None

    def advance(self, instant: datetime) -> None:
        """Move the exchange clock to `instant`, rolling the trading day when it changes."""
        if instant > self.clock:
            self.clock = instant
        if instant < self.day_end:
            return
        local_day = instant.astimezone(IST).date()
        if self.day is not None and local_day.isoformat() <= self.day:
            return
        self.day = local_day.isoformat()
        self.day_end = _next_ist_midnight(local_day)
        self.day_start_pnl = {sid: self.book.net_pnl(sid) for sid in self.book.strategy_ids()}
        self.orders_today.clear()
        self.loss_halted.clear()
        self.namespace_loss_halted = False

    def daily_pnl(self, strategy_id: str) -> Decimal:
        """Return a strategy's net P&L since the start of the current IST trading day."""
        return self.book.net_pnl(strategy_id) - self.day_start_pnl.get(strategy_id, ZERO)

    def namespace_daily_pnl(self) -> Decimal:
        """Return the namespace's net P&L since the start of the current IST trading day."""
        return sum((self.daily_pnl(sid) for sid in self.book.strategy_ids()), ZERO)

    def position(self, strategy_id: str, instrument_token: int) -> int:
        """Return the signed quantity a strategy holds, as known from fills."""
        return self.book.position(strategy_id, instrument_token)

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-able data."""
        return {
            "version": SNAPSHOT_VERSION,
            "book": self.book.snapshot(),
            "in_flight": self.in_flight.snapshot(),
            "definitions": {
                sid: {
                    "limits": definition.limits.model_dump(mode="json", exclude_unset=True),
                    "generation": definition.generation,
                }
                for sid, definition in sorted(self.definitions.items())
            },
            "last_prices": {
                str(token): str(price) for token, price in sorted(self.last_prices.items())
            },
            "last_ticks": {
                str(token): tick.model_dump(mode="json")
                for token, tick in sorted(self.last_ticks.items())
            },
            "clock": None if self.clock is NEVER else self.clock.isoformat(),
            "day": self.day,
            "day_start_pnl": {sid: str(pnl) for sid, pnl in sorted(self.day_start_pnl.items())},
            "orders_today": dict(sorted(self.orders_today.items())),
            "loss_halted": sorted(self.loss_halted),
            "namespace_loss_halted": self.namespace_loss_halted,
            "halted_strategies": dict(sorted(self.halted_strategies.items())),
            "namespace_halt": self.namespace_halt,
            "rate_bucket": None if self.bucket is None else self.bucket.to_dict(),
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace the state with a `snapshot` result."""
        version = snapshot.get("version")
        if version not in _LOADABLE_VERSIONS:
            raise ValueError(f"unsupported risk snapshot version {version}")
        self.book.restore(snapshot["book"])
        self.in_flight = InFlightOrders()
        if "in_flight" in snapshot:
            self.in_flight.restore(snapshot["in_flight"])
        self.definitions = {
            sid: StrategyDefinition(
                limits=RiskLimits.model_validate(saved["limits"]), generation=saved["generation"]
            )
            for sid, saved in snapshot.get("definitions", {}).items()
        }
        self.last_prices = {int(t): Decimal(p) for t, p in snapshot["last_prices"].items()}
        self.last_ticks = {
            int(t): Tick.model_validate(data) for t, data in snapshot.get("last_ticks", {}).items()
        }
        clock = snapshot["clock"]
        self.clock = NEVER if clock is None else datetime.fromisoformat(clock)
        self.day = snapshot["day"]
        self.day_end = (
            NEVER if self.day is None else _next_ist_midnight(date.fromisoformat(self.day))
        )
        self.day_start_pnl = {sid: Decimal(p) for sid, p in snapshot["day_start_pnl"].items()}
        self.orders_today = {sid: int(n) for sid, n in snapshot["orders_today"].items()}
        self.loss_halted = set(snapshot["loss_halted"])
        self.namespace_loss_halted = bool(snapshot["namespace_loss_halted"])
        self.halted_strategies = dict(snapshot["halted_strategies"])
        self.namespace_halt = snapshot["namespace_halt"]
        if self.bucket is not None and snapshot["rate_bucket"] is not None:
            self.bucket.load(snapshot["rate_bucket"])


def _next_ist_midnight(day: date) -> datetime:
    # In UTC: comparing datetimes of different tzinfo objects is ~10x slower per tick.
    return datetime.combine(day + timedelta(days=1), time(0), IST).astimezone(UTC)
