"""The risk engine: every pre-trade rule of a namespace, applied in a fixed order."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled
from alpha_panda.domain.risk.limits import RiskEngineConfig, RiskLimits, StrategyDefinition
from alpha_panda.domain.risk.rate_limit import TokenBucket
from alpha_panda.domain.risk.rules import (
    KILL_SWITCH,
    RATE_LIMIT,
    STALE_SIGNAL,
    UNKNOWN_STRATEGY,
    Proposal,
    Rule,
    active_rules,
)
from alpha_panda.domain.risk.state import NEVER, RiskState
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.values import OrderType, Side

_Checks = tuple[RiskLimits, tuple[tuple[str, Rule], ...]]


class RiskEngine:
    """Validate signals against a namespace's limits.

    The engine fails closed: a strategy's signals are judged only while a definition of it is
    in force (`apply_definition`, or the configuration's `strategies`); any other signal is
    refused as `unknown_strategy`, and one older than the configured age as `stale_signal`.
    Positions and P&L come from fills (`on_fill`), last prices and marks from ticks
    (`on_tick`). A validated order counts against the limits from its validation on, as an
    order in flight, until its fills or its failure (`on_order_failed`) release it, or the
    configured timeout passes. Rules run in a fixed order and the first that fires names the
    rejection; `checks_passed` lists the rules that were active. Only a validated signal
    counts as an order and takes a rate-limit token. A signal that only reduces a holding
    passes the position and daily-loss rules, so a strategy can always get out.
    """

    def __init__(self, config: RiskEngineConfig) -> None:
        self.config = config
        rate = config.orders_per_second
        bucket = TokenBucket(rate, config.order_burst) if rate is not None else None
        self.state = RiskState(config.namespace, bucket)
        self._checks: dict[str, _Checks] = {}
        self._in_flight_timeout = timedelta(seconds=config.in_flight_timeout_seconds)
        age = config.max_signal_age_seconds
        self._max_age = None if age is None else timedelta(seconds=age)
        self._seed_definitions()

    def apply_definition(
        self, strategy_id: str, limits: RiskLimits, *, paused: bool, generation: int
    ) -> bool:
        """Put a strategy's definition in force for its next signal; return whether it was.

        `limits` are the strategy's own (merged over the namespace defaults when judged) and
        `paused` sets or lifts its kill switch, the same one `halt` and `resume` move. A
        generation not newer than the one in force changes nothing, so replaying the
        definition stream cannot undo a later halt; limits from the configuration
        (generation 0) are always replaced.
        """
        state = self.state
        known = state.definitions.get(strategy_id)
        if known is not None and known.generation and generation <= known.generation:
            return False
        state.definitions[strategy_id] = StrategyDefinition(limits=limits, generation=generation)
        self._checks.pop(strategy_id, None)
        if paused:
            state.halted_strategies[strategy_id] = f"paused (definition generation {generation})"
        else:
            state.halted_strategies.pop(strategy_id, None)
        return True

    def remove_strategy(self, strategy_id: str) -> bool:
        """Retire a deleted strategy: its later signals are refused as `unknown_strategy`.

        Its positions, P&L and orders in flight stay, as they still count for the namespace
        and its fills may still come. Return whether a definition was in force.
        """
        self._checks.pop(strategy_id, None)
        self.state.halted_strategies.pop(strategy_id, None)
        return self.state.definitions.pop(strategy_id, None) is not None

    def definition(self, strategy_id: str) -> StrategyDefinition | None:
        """Return the definition in force of a strategy, or None."""
        return self.state.definitions.get(strategy_id)

    def on_tick(self, tick: Tick) -> None:
        """Record the last traded price and the tick, and mark positions to it."""
        self._price(tick.instrument_token, tick.last_price, tick.exchange_timestamp)
        self.state.last_ticks[tick.instrument_token] = tick

    def on_price(self, instrument_token: int, price: Decimal, instant: datetime) -> None:
        """Do `on_tick` with fields a caller already read (reading a tick's costs more).

        No tick is kept, so the signals validated after it carry no market of their own.
        """
        self._price(instrument_token, price, instant)
        self.state.last_ticks.pop(instrument_token, None)

    def on_fill(self, fill: OrderFilled) -> None:
        """Update positions, P&L and orders in flight from a fill (a repeated fill id changes
        nothing)."""
        state = self.state
        state.advance(fill.filled_at)
        if state.book.apply_fill(fill):
            state.in_flight.on_fill(fill)

    def on_order_failed(self, failed: OrderFailed) -> None:
        """Release the quantity of an order that will not be filled (rejected, cancelled)."""
        self.state.advance(failed.failed_at)
        self.state.in_flight.on_order_failed(failed)

    def evaluate(
        self, signal: Signal, now: datetime | None = None
    ) -> ValidatedSignal | RejectedSignal:
        """Run every active rule on a signal; validate it or name the rule that refused it.

        `now` is the instant the signal is judged at, which its age and the timeout of orders
        in flight are measured against; without it, the latest event time the engine has
        seen. A validated signal carries the last tick of its instrument, so its paper fill
        is priced from the market of this decision however late it is executed.
        """
        state = self.state
        state.advance(signal.generated_at)
        strategy_id = signal.strategy_id
        checks = self._checks_for(strategy_id)
        if checks is None:
            unknown = f"no definition of strategy {strategy_id!r} is in force"
            return RejectedSignal(signal=signal, rule=UNKNOWN_STRATEGY, reason=unknown)
        instant = state.clock if now is None else max(now, state.clock)
        passed: list[str] = []
        if self._max_age is not None:
            age = instant - signal.generated_at
            if age > self._max_age:
                stale = f"signal is {age} old, above the maximum {self._max_age}"
                return RejectedSignal(signal=signal, rule=STALE_SIGNAL, reason=stale)
            passed.append(STALE_SIGNAL)
        state.in_flight.expire(instant, self._in_flight_timeout)
        limits, rules = checks
        proposal = Proposal(signal, limits, state)
        config = self.config
        for name, rule in rules:
            refusal = rule(state, config, proposal)
            if refusal is not None:
                return RejectedSignal(signal=signal, rule=name, reason=refusal)
            passed.append(name)
        if state.bucket is not None:
            if not state.bucket.try_take(signal.generated_at):
                too_fast = f"account order rate above {config.orders_per_second}/s"
                return RejectedSignal(signal=signal, rule=RATE_LIMIT, reason=too_fast)
            passed.append(RATE_LIMIT)
        state.orders_today[strategy_id] = state.orders_today.get(strategy_id, 0) + 1
        state.in_flight.add(signal, proposal.price, instant)
        market = state.last_ticks.get(signal.instrument_token)
        return ValidatedSignal(signal=signal, checks_passed=tuple(passed), market=market)

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
        the halt itself would refuse them; they count as orders in flight like any other.
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
                state.in_flight.add(signal, signal.reference_price, max(stamp, state.clock))
                closing.append(
                    ValidatedSignal(
                        signal=signal,
                        checks_passed=(KILL_SWITCH,),
                        market=state.last_ticks.get(token),
                    )
                )
        return closing

    def resume(self, strategy_id: str | None = None) -> None:
        """Lift the kill switch of one strategy (a paused one too), or of the namespace."""
        if strategy_id is None:
            self.state.namespace_halt = None
        else:
            self.state.halted_strategies.pop(strategy_id, None)

    def halted(self, strategy_id: str) -> str | None:
        """Return why a strategy may not open positions now, or None."""
        state = self.state
        if strategy_id not in state.definitions:
            return "no definition in force"
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

    def in_flight(self, strategy_id: str, instrument_token: int) -> tuple[int, int]:
        """Return the quantities (bought, sold) a strategy has in flight in an instrument."""
        in_flight = self.state.in_flight
        return (
            in_flight.quantity(strategy_id, instrument_token, Side.BUY),
            in_flight.quantity(strategy_id, instrument_token, Side.SELL),
        )

    def daily_pnl(self, strategy_id: str) -> Decimal:
        """Return a strategy's net P&L since the start of the current IST trading day."""
        return self.state.daily_pnl(strategy_id)

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-able data (the configuration is not included)."""
        return self.state.snapshot()

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace the state with a `snapshot` result; a snapshot written before orders in
        flight and definitions were kept loads with neither (the configuration's limits
        then apply)."""
        self.state.restore(snapshot)
        self._checks.clear()
        self._seed_definitions()

    def _seed_definitions(self) -> None:
        """Put the configuration's strategies in force where no newer definition is."""
        definitions = self.state.definitions
        for strategy_id, limits in self.config.strategies.items():
            known = definitions.get(strategy_id)
            if known is None or not known.generation:
                definitions[strategy_id] = StrategyDefinition(limits=limits, generation=0)

    def _price(self, instrument_token: int, price: Decimal, instant: datetime) -> None:
        state = self.state
        # `state.advance` spelt out: nearly every tick moves the clock, few roll the day.
        if instant > state.clock:
            state.clock = instant
        if instant >= state.day_end:
            state.advance(instant)
        state.last_prices[instrument_token] = price
        state.book.mark_price(instrument_token, price)

    def _checks_for(self, strategy_id: str) -> _Checks | None:
        """Return a strategy's limits and active rules, or None without a definition."""
        checks = self._checks.get(strategy_id)
        if checks is None:
            definition = self.state.definitions.get(strategy_id)
            if definition is None:
                return None
            limits = definition.limits.merged_over(self.config.defaults)
            checks = self._checks[strategy_id] = (limits, active_rules(limits, self.config))
        return checks
