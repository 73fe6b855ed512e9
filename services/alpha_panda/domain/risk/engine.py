"""The risk engine: every pre-trade rule of a namespace, with state that survives restarts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.risk.limits import RiskEngineConfig, RiskLimits
from alpha_panda.domain.risk.rate_limit import TokenBucket
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.values import IST, OrderType, Side

SNAPSHOT_VERSION = 1
ZERO = Decimal(0)
NEVER = datetime.min.replace(tzinfo=UTC)

KILL_SWITCH = "kill_switch"
DAILY_LOSS = "max_daily_loss"
MARKET_HOURS = "market_hours"
PRICE_BAND = "price_band"
ORDERS_PER_DAY = "max_orders_per_day"
POSITION_QUANTITY = "max_position_quantity"
POSITION_NOTIONAL = "max_position_notional"
STRATEGY_QUANTITY = "max_strategy_quantity"
STRATEGY_NOTIONAL = "max_strategy_notional"
RATE_LIMIT = "order_rate"

Rule = Callable[[Signal, RiskLimits], str | None]


class RiskEngine:
    """Validate signals against a namespace's limits.

    Positions and P&L come from fills (`on_fill`), last prices and marks from ticks
    (`on_tick`); the IST trading day rolls on the first event stamped after midnight IST,
    resetting order counts and daily-loss halts. Rules run in a fixed order and the first
    that fires names the rejection; only a validated signal counts as an order and takes a
    rate-limit token.
    """

    def __init__(self, config: RiskEngineConfig) -> None:
        self.config = config
        self._limits: dict[str, RiskLimits] = {}
        rate = config.orders_per_second
        self._bucket = TokenBucket(rate, config.order_burst) if rate is not None else None
        self._book = Portfolio(PortfolioConfig(namespace=config.namespace))
        self._last_prices: dict[int, Decimal] = {}
        self._clock = NEVER
        self._day: str | None = None
        self._day_end = NEVER
        self._day_start_pnl: dict[str, Decimal] = {}
        self._orders_today: dict[str, int] = {}
        self._loss_halted: set[str] = set()
        self._halted_strategies: dict[str, str] = {}
        self._namespace_halt: str | None = None
        self._rules: tuple[tuple[str, Rule], ...] = (
            (KILL_SWITCH, self._check_kill_switch),
            (DAILY_LOSS, self._check_daily_loss),
            (MARKET_HOURS, self._check_market_hours),
            (PRICE_BAND, self._check_price_band),
            (ORDERS_PER_DAY, self._check_orders_per_day),
            (POSITION_QUANTITY, self._check_position_quantity),
            (POSITION_NOTIONAL, self._check_position_notional),
            (STRATEGY_QUANTITY, self._check_strategy_quantity),
            (STRATEGY_NOTIONAL, self._check_strategy_notional),
        )

    # -- events -------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> None:
        """Record the last traded price and mark positions to it."""
        instant = tick.exchange_timestamp
        if instant >= self._day_end or instant > self._clock:
            self._advance(instant)
        self._last_prices[tick.instrument_token] = tick.last_price
        self._book.mark(tick)

    def on_fill(self, fill: OrderFilled) -> None:
        """Update positions and P&L from a fill (a repeated fill id changes nothing)."""
        self._advance(fill.filled_at)
        self._book.apply_fill(fill)

    def evaluate(self, signal: Signal) -> ValidatedSignal | RejectedSignal:
        """Run every active rule on a signal; validate it or name the rule that refused it."""
        self._advance(signal.generated_at)
        limits = self._limits_for(signal.strategy_id)
        passed: list[str] = []
        for name, rule in self._rules:
            reason = rule(signal, limits)
            if reason is not None:
                return RejectedSignal(signal=signal, rule=name, reason=reason)
            if self._is_active(name, limits):
                passed.append(name)
        if self._bucket is not None:
            if not self._bucket.try_take(signal.generated_at):
                reason = f"account order rate above {self.config.orders_per_second}/s"
                return RejectedSignal(signal=signal, rule=RATE_LIMIT, reason=reason)
            passed.append(RATE_LIMIT)
        strategy_id = signal.strategy_id
        self._orders_today[strategy_id] = self._orders_today.get(strategy_id, 0) + 1
        return ValidatedSignal(signal=signal, checks_passed=tuple(passed))

    # -- kill switch --------------------------------------------------------------------

    def halt(
        self,
        reason: str,
        strategy_id: str | None = None,
        square_off: bool = False,
        at: datetime | None = None,
    ) -> list[ValidatedSignal]:
        """Halt one strategy, or the whole namespace when no strategy is named.

        With `square_off`, return MARKET signals closing every open position concerned,
        stamped `at` (default: the latest exchange time seen) and already validated, since
        the halt itself would refuse them.
        """
        if strategy_id is None:
            self._namespace_halt = reason
        else:
            self._halted_strategies[strategy_id] = reason
        if not square_off:
            return []
        stamp = at or (None if self._clock is NEVER else self._clock)
        strategies = self._book.strategy_ids() if strategy_id is None else [strategy_id]
        closing: list[ValidatedSignal] = []
        for owner in strategies:
            for token, quantity, mark in self._book.holdings(owner):
                if stamp is None:
                    raise ValueError("square-off needs a time: no event seen yet")
                signal = Signal(
                    strategy_id=owner,
                    instrument_token=token,
                    side=Side.SELL if quantity > 0 else Side.BUY,
                    quantity=abs(quantity),
                    order_type=OrderType.MARKET,
                    reference_price=self._last_prices.get(token, mark),
                    generated_at=stamp,
                    reason=f"square-off: {reason}",
                )
                closing.append(ValidatedSignal(signal=signal, checks_passed=(KILL_SWITCH,)))
        return closing

    def resume(self, strategy_id: str | None = None) -> None:
        """Lift the kill switch of one strategy, or of the namespace."""
        if strategy_id is None:
            self._namespace_halt = None
        else:
            self._halted_strategies.pop(strategy_id, None)

    def halted(self, strategy_id: str) -> str | None:
        """Return why a strategy may not trade now, or None."""
        if self._namespace_halt is not None:
            return f"namespace halted: {self._namespace_halt}"
        if strategy_id in self._halted_strategies:
            return f"strategy halted: {self._halted_strategies[strategy_id]}"
        if strategy_id in self._loss_halted:
            return "daily loss limit reached"
        return None

    def position(self, strategy_id: str, instrument_token: int) -> int:
        """Return the signed quantity a strategy holds, as known from fills."""
        return self._book.position(strategy_id, instrument_token)

    def daily_pnl(self, strategy_id: str) -> Decimal:
        """Return a strategy's net P&L since the start of the current IST trading day."""
        return self._book.net_pnl(strategy_id) - self._day_start_pnl.get(strategy_id, ZERO)

    # -- rules ----------------------------------------------------------------------------

    def _check_kill_switch(self, signal: Signal, limits: RiskLimits) -> str | None:
        if self._namespace_halt is not None:
            return f"namespace halted: {self._namespace_halt}"
        reason = self._halted_strategies.get(signal.strategy_id)
        return None if reason is None else f"strategy halted: {reason}"

    def _check_daily_loss(self, signal: Signal, limits: RiskLimits) -> str | None:
        if limits.max_daily_loss is None or self._reduces(signal):
            return None
        strategy_id = signal.strategy_id
        pnl = self.daily_pnl(strategy_id)
        if strategy_id in self._loss_halted or pnl <= -limits.max_daily_loss:
            self._loss_halted.add(strategy_id)
            return f"daily P&L {pnl} breached the loss limit {limits.max_daily_loss}"
        return None

    def _check_market_hours(self, signal: Signal, limits: RiskLimits) -> str | None:
        hours = limits.market_hours
        if hours is None or hours.contains(signal.generated_at):
            return None
        local = signal.generated_at.astimezone(IST)
        return f"{local:%a %Y-%m-%d %H:%M:%S} IST is outside {hours.open}-{hours.close} IST"

    def _check_price_band(self, signal: Signal, limits: RiskLimits) -> str | None:
        band = limits.price_band_percent
        if band is None:
            return None
        last = self._last_prices.get(signal.instrument_token)
        if last is None:
            return "no last traded price to check the band against"
        price = self._order_price(signal)
        if abs(price - last) * 100 > band * last:
            return f"price {price} is more than {band}% away from last price {last}"
        return None

    def _check_orders_per_day(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_orders_per_day
        count = self._orders_today.get(signal.strategy_id, 0)
        if ceiling is None or count < ceiling:
            return None
        return f"{count} orders today reached the limit of {ceiling}"

    def _check_position_quantity(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_position_quantity
        if ceiling is None or self._reduces(signal):
            return None
        projected = abs(self._projected(signal))
        return None if projected <= ceiling else f"position {projected} would exceed {ceiling}"

    def _check_position_notional(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_position_notional
        if ceiling is None or self._reduces(signal):
            return None
        notional = abs(self._projected(signal)) * self._order_price(signal)
        if notional <= ceiling:
            return None
        return f"position value {notional} would exceed {ceiling}"

    def _check_strategy_quantity(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_strategy_quantity
        if ceiling is None or self._reduces(signal):
            return None
        total = abs(self._projected(signal)) + sum(
            abs(quantity)
            for token, quantity, _ in self._book.holdings(signal.strategy_id)
            if token != signal.instrument_token
        )
        return None if total <= ceiling else f"strategy quantity {total} would exceed {ceiling}"

    def _check_strategy_notional(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_strategy_notional
        if ceiling is None or self._reduces(signal):
            return None
        total = abs(self._projected(signal)) * self._order_price(signal) + sum(
            (
                abs(quantity) * self._last_prices.get(token, mark)
                for token, quantity, mark in self._book.holdings(signal.strategy_id)
                if token != signal.instrument_token
            ),
            ZERO,
        )
        if total <= ceiling:
            return None
        return f"strategy exposure {total} would exceed {ceiling}"

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _is_active(rule: str, limits: RiskLimits) -> bool:
        if rule == KILL_SWITCH:
            return True
        if rule == MARKET_HOURS:
            return limits.market_hours is not None
        value: object = getattr(limits, "price_band_percent" if rule == PRICE_BAND else rule)
        return value is not None

    def _limits_for(self, strategy_id: str) -> RiskLimits:
        limits = self._limits.get(strategy_id)
        if limits is None:
            limits = self._limits[strategy_id] = self.config.limits_for(strategy_id)
        return limits

    def _projected(self, signal: Signal) -> int:
        held = self._book.position(signal.strategy_id, signal.instrument_token)
        return held + signal.side.sign * signal.quantity

    def _reduces(self, signal: Signal) -> bool:
        held = self._book.position(signal.strategy_id, signal.instrument_token)
        projected = held + signal.side.sign * signal.quantity
        return abs(projected) < abs(held) and projected * held >= 0

    def _order_price(self, signal: Signal) -> Decimal:
        if signal.order_type in (OrderType.LIMIT, OrderType.SL) and signal.limit_price:
            return signal.limit_price
        return signal.reference_price

    def _advance(self, instant: datetime) -> None:
        if instant > self._clock:
            self._clock = instant
        if instant < self._day_end:
            return
        local_day = instant.astimezone(IST).date()
        if self._day is not None and local_day.isoformat() <= self._day:
            return
        self._day = local_day.isoformat()
        self._day_end = _next_ist_midnight(local_day)
        self._day_start_pnl = {sid: self._book.net_pnl(sid) for sid in self._book.strategy_ids()}
        self._orders_today.clear()
        self._loss_halted.clear()

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-able data (the configuration is not included)."""
        return {
            "version": SNAPSHOT_VERSION,
            "book": self._book.snapshot(),
            "last_prices": {
                str(token): str(price) for token, price in sorted(self._last_prices.items())
            },
            "clock": None if self._clock is NEVER else self._clock.isoformat(),
            "day": self._day,
            "day_start_pnl": {sid: str(pnl) for sid, pnl in sorted(self._day_start_pnl.items())},
            "orders_today": dict(sorted(self._orders_today.items())),
            "loss_halted": sorted(self._loss_halted),
            "halted_strategies": dict(sorted(self._halted_strategies.items())),
            "namespace_halt": self._namespace_halt,
            "rate_bucket": None if self._bucket is None else self._bucket.to_dict(),
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace the state with a `snapshot` result."""
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported risk snapshot version {snapshot.get('version')}")
        self._book.restore(snapshot["book"])
        self._last_prices = {int(t): Decimal(p) for t, p in snapshot["last_prices"].items()}
        clock = snapshot["clock"]
        self._clock = NEVER if clock is None else datetime.fromisoformat(clock)
        self._day = snapshot["day"]
        self._day_end = NEVER
        if self._day is not None:
            self._day_end = _next_ist_midnight(date.fromisoformat(self._day))
        self._day_start_pnl = {sid: Decimal(p) for sid, p in snapshot["day_start_pnl"].items()}
        self._orders_today = {sid: int(n) for sid, n in snapshot["orders_today"].items()}
        self._loss_halted = set(snapshot["loss_halted"])
        self._halted_strategies = dict(snapshot["halted_strategies"])
        self._namespace_halt = snapshot["namespace_halt"]
        if self._bucket is not None and snapshot["rate_bucket"] is not None:
            self._bucket.load(snapshot["rate_bucket"])


def _next_ist_midnight(day: date) -> datetime:
    # In UTC: comparing datetimes of different tzinfo objects is ~10x slower per tick.
    return datetime.combine(day + timedelta(days=1), time(0), IST).astimezone(UTC)
