"""The risk engine: every pre-trade rule of a namespace, applied in a fixed order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.risk.limits import RiskEngineConfig, RiskLimits
from alpha_panda.domain.risk.rate_limit import TokenBucket
from alpha_panda.domain.risk.state import NEVER, RiskState
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.values import IST, OrderType, Side

ZERO = Decimal(0)

KILL_SWITCH = "kill_switch"
NAMESPACE_DAILY_LOSS = "namespace_max_daily_loss"
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
    (`on_tick`). Rules run in a fixed order and the first that fires names the rejection;
    `checks_passed` lists the rules that were active. Only a validated signal counts as an
    order and takes a rate-limit token. A signal that only reduces a holding passes the
    position and daily-loss rules, so a strategy can always get out.
    """

    def __init__(self, config: RiskEngineConfig) -> None:
        self.config = config
        rate = config.orders_per_second
        bucket = TokenBucket(rate, config.order_burst) if rate is not None else None
        self.state = RiskState(config.namespace, bucket)
        self._checks: dict[str, tuple[RiskLimits, tuple[tuple[str, Rule], ...]]] = {}
        self._rules: tuple[tuple[str, Rule], ...] = (
            (KILL_SWITCH, self._check_kill_switch),
            (NAMESPACE_DAILY_LOSS, self._check_namespace_daily_loss),
            (DAILY_LOSS, self._check_daily_loss),
            (MARKET_HOURS, self._check_market_hours),
            (PRICE_BAND, self._check_price_band),
            (ORDERS_PER_DAY, self._check_orders_per_day),
            (POSITION_QUANTITY, self._check_position_quantity),
            (POSITION_NOTIONAL, self._check_position_notional),
            (STRATEGY_QUANTITY, self._check_strategy_quantity),
            (STRATEGY_NOTIONAL, self._check_strategy_notional),
        )

    def on_tick(self, tick: Tick) -> None:
        """Record the last traded price and mark positions to it."""
        self.on_price(tick.instrument_token, tick.last_price, tick.exchange_timestamp)

    def on_price(self, instrument_token: int, price: Decimal, instant: datetime) -> None:
        """Do `on_tick` with fields a caller already read (reading a tick's costs more)."""
        state = self.state
        # `state.advance` spelt out: nearly every tick moves the clock, few roll the day.
        if instant > state.clock:
            state.clock = instant
        if instant >= state.day_end:
            state.advance(instant)
        state.last_prices[instrument_token] = price
        state.book.mark_price(instrument_token, price)

    def on_fill(self, fill: OrderFilled) -> None:
        """Update positions and P&L from a fill (a repeated fill id changes nothing)."""
        self.state.advance(fill.filled_at)
        self.state.book.apply_fill(fill)

    def evaluate(self, signal: Signal) -> ValidatedSignal | RejectedSignal:
        """Run every active rule on a signal; validate it or name the rule that refused it."""
        state = self.state
        state.advance(signal.generated_at)
        limits, rules = self._checks_for(signal.strategy_id)
        passed: list[str] = []
        for name, rule in rules:
            reason = rule(signal, limits)
            if reason is not None:
                return RejectedSignal(signal=signal, rule=name, reason=reason)
            passed.append(name)
        if state.bucket is not None:
            if not state.bucket.try_take(signal.generated_at):
                reason = f"account order rate above {self.config.orders_per_second}/s"
                return RejectedSignal(signal=signal, rule=RATE_LIMIT, reason=reason)
            passed.append(RATE_LIMIT)
        strategy_id = signal.strategy_id
        state.orders_today[strategy_id] = state.orders_today.get(strategy_id, 0) + 1
        return ValidatedSignal(signal=signal, checks_passed=tuple(passed))

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
        state = self.state
        if strategy_id is None:
            state.namespace_halt = reason
        else:
            state.halted_strategies[strategy_id] = reason
        if not square_off:
            return []
        stamp = at or (None if state.clock is NEVER else state.clock)
        owners = state.book.strategy_ids() if strategy_id is None else [strategy_id]
        closing: list[ValidatedSignal] = []
        for owner in owners:
            for token, quantity, mark in state.book.holdings(owner):
                if stamp is None:
                    raise ValueError("square-off needs a time: no event seen yet")
                signal = Signal(
                    strategy_id=owner,
                    instrument_token=token,
                    side=Side.SELL if quantity > 0 else Side.BUY,
                    quantity=abs(quantity),
                    order_type=OrderType.MARKET,
                    reference_price=state.last_prices.get(token, mark),
                    generated_at=stamp,
                    reason=f"square-off: {reason}",
                )
                closing.append(ValidatedSignal(signal=signal, checks_passed=(KILL_SWITCH,)))
        return closing

    def resume(self, strategy_id: str | None = None) -> None:
        """Lift the kill switch of one strategy, or of the namespace."""
        if strategy_id is None:
            self.state.namespace_halt = None
        else:
            self.state.halted_strategies.pop(strategy_id, None)

    def halted(self, strategy_id: str) -> str | None:
        """Return why a strategy may not open positions now, or None."""
        state = self.state
        if state.namespace_halt is not None:
            return f"namespace halted: {state.namespace_halt}"
        if strategy_id in state.halted_strategies:
            return f"strategy halted: {state.halted_strategies[strategy_id]}"
        if state.namespace_loss_halted:
            return "namespace daily loss limit reached"
        if strategy_id in state.loss_halted:
            return "daily loss limit reached"
        return None

    def position(self, strategy_id: str, instrument_token: int) -> int:
        """Return the signed quantity a strategy holds, as known from fills."""
        return self.state.position(strategy_id, instrument_token)

    def daily_pnl(self, strategy_id: str) -> Decimal:
        """Return a strategy's net P&L since the start of the current IST trading day."""
        return self.state.daily_pnl(strategy_id)

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-able data (the configuration is not included)."""
        return self.state.snapshot()

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace the state with a `snapshot` result."""
        self.state.restore(snapshot)

    # -- rules ----------------------------------------------------------------------------

    def _check_kill_switch(self, signal: Signal, limits: RiskLimits) -> str | None:
        state = self.state
        if state.namespace_halt is not None:
            return f"namespace halted: {state.namespace_halt}"
        reason = state.halted_strategies.get(signal.strategy_id)
        return None if reason is None else f"strategy halted: {reason}"

    def _check_namespace_daily_loss(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = self.config.namespace_max_daily_loss
        if ceiling is None or self._reduces(signal):
            return None
        state = self.state
        pnl = state.namespace_daily_pnl()
        if state.namespace_loss_halted or pnl <= -ceiling:
            state.namespace_loss_halted = True
            return f"namespace daily P&L {pnl} breached the loss limit {ceiling}"
        return None

    def _check_daily_loss(self, signal: Signal, limits: RiskLimits) -> str | None:
        if limits.max_daily_loss is None or self._reduces(signal):
            return None
        state, strategy_id = self.state, signal.strategy_id
        pnl = state.daily_pnl(strategy_id)
        if strategy_id in state.loss_halted or pnl <= -limits.max_daily_loss:
            state.loss_halted.add(strategy_id)
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
        last = self.state.last_prices.get(signal.instrument_token)
        if last is None:
            return "no last traded price to check the band against"
        price = _order_price(signal)
        if abs(price - last) * 100 > band * last:
            return f"price {price} is more than {band}% away from last price {last}"
        return None

    def _check_orders_per_day(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_orders_per_day
        count = self.state.orders_today.get(signal.strategy_id, 0)
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
        notional = abs(self._projected(signal)) * _order_price(signal)
        if notional <= ceiling:
            return None
        return f"position value {notional} would exceed {ceiling}"

    def _check_strategy_quantity(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_strategy_quantity
        if ceiling is None or self._reduces(signal):
            return None
        total = abs(self._projected(signal)) + sum(
            abs(quantity)
            for token, quantity, _ in self.state.book.holdings(signal.strategy_id)
            if token != signal.instrument_token
        )
        return None if total <= ceiling else f"strategy quantity {total} would exceed {ceiling}"

    def _check_strategy_notional(self, signal: Signal, limits: RiskLimits) -> str | None:
        ceiling = limits.max_strategy_notional
        if ceiling is None or self._reduces(signal):
            return None
        last_prices = self.state.last_prices
        total = abs(self._projected(signal)) * _order_price(signal) + sum(
            (
                abs(quantity) * last_prices.get(token, mark)
                for token, quantity, mark in self.state.book.holdings(signal.strategy_id)
                if token != signal.instrument_token
            ),
            ZERO,
        )
        if total <= ceiling:
            return None
        return f"strategy exposure {total} would exceed {ceiling}"

    # -- helpers ------------------------------------------------------------------------

    def _is_active(self, rule: str, limits: RiskLimits) -> bool:
        if rule == KILL_SWITCH:
            return True
        if rule == NAMESPACE_DAILY_LOSS:
            return self.config.namespace_max_daily_loss is not None
        if rule == MARKET_HOURS:
            return limits.market_hours is not None
        value: object = getattr(limits, "price_band_percent" if rule == PRICE_BAND else rule)
        return value is not None

    def _checks_for(self, strategy_id: str) -> tuple[RiskLimits, tuple[tuple[str, Rule], ...]]:
        """Return a strategy's limits and its active rules (an inactive rule never fires)."""
        checks = self._checks.get(strategy_id)
        if checks is None:
            limits = self.config.limits_for(strategy_id)
            active = tuple(entry for entry in self._rules if self._is_active(entry[0], limits))
            checks = self._checks[strategy_id] = (limits, active)
        return checks

    def _projected(self, signal: Signal) -> int:
        held = self.state.position(signal.strategy_id, signal.instrument_token)
        return held + signal.side.sign * signal.quantity

    def _reduces(self, signal: Signal) -> bool:
        held = self.state.position(signal.strategy_id, signal.instrument_token)
        projected = held + signal.side.sign * signal.quantity
        return abs(projected) < abs(held) and projected * held >= 0


def _order_price(signal: Signal) -> Decimal:
    if signal.order_type in (OrderType.LIMIT, OrderType.SL) and signal.limit_price:
        return signal.limit_price
    return signal.reference_price
