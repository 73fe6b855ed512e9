"""Risk limits per strategy and per namespace, and the risk engine's configuration."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from pydantic import Field

from alpha_panda.domain.values import IST, Frozen, Namespace


class MarketHours(Frozen):
    """A trading session in IST on weekdays that are not holidays (NSE normal market)."""

    open: time = time(9, 15)
    close: time = time(15, 30)
    holidays: frozenset[date] = frozenset()

    def contains(self, instant: datetime) -> bool:
        """Return whether an exchange instant falls inside the session."""
        local = instant.astimezone(IST)
        return (
            local.weekday() < 5
            and local.date() not in self.holidays
            and self.open <= local.time() < self.close
        )


class RiskLimits(Frozen):
    """The limits of one strategy; None turns a rule off.

    Position limits apply to the strategy's holding in one instrument and to its gross
    holding across instruments. A signal that only reduces a holding is never refused by a
    position or daily-loss limit, so a strategy can always get out.
    """

    max_position_quantity: int | None = Field(default=None, gt=0)
    max_position_notional: Decimal | None = Field(default=None, gt=0)
    max_strategy_quantity: int | None = Field(default=None, gt=0)
    max_strategy_notional: Decimal | None = Field(default=None, gt=0)
    max_daily_loss: Decimal | None = Field(default=None, gt=0)
    max_orders_per_day: int | None = Field(default=None, gt=0)
    price_band_percent: Decimal | None = Field(default=None, gt=0)
    market_hours: MarketHours | None = MarketHours()

    def merged_over(self, defaults: RiskLimits) -> RiskLimits:
        """Return `defaults` with every field explicitly set on this object replacing it."""
        return defaults.model_copy(
            update={name: getattr(self, name) for name in self.model_fields_set}
        )


class RiskEngineConfig(Frozen):
    """Limits of a namespace: defaults for every strategy, the strategies known from the
    start, a daily loss limit for the namespace as a whole, the account-wide order rate (Kite
    allows 10 orders per second per account), how long an unreported order counts as in
    flight and how old a signal may be."""

    namespace: Namespace
    defaults: RiskLimits = RiskLimits()
    strategies: dict[str, RiskLimits] = Field(
        default_factory=dict,
        description="Limits of strategies known from the start (a backtest's, a fixed"
        " deployment's); a definition applied later replaces them. Any other strategy's"
        " signals are refused until its definition is applied.",
    )
    namespace_max_daily_loss: Decimal | None = Field(
        default=None, gt=0, description="Net loss of all strategies together that halts all."
    )
    orders_per_second: Decimal | None = Field(default=Decimal(10), gt=0)
    order_burst: int = Field(default=10, gt=0)
    in_flight_timeout_seconds: int = Field(
        default=900,
        gt=0,
        description="Seconds of event time a validated order counts against the limits while"
        " neither a fill nor a failure of it has been seen; set it above the longest an order"
        " may rest at the broker or wait in a backlog.",
    )
    max_signal_age_seconds: int | None = Field(
        default=300,
        gt=0,
        description="Oldest a signal may be when judged, measured from its exchange time.",
    )


class StrategyDefinition(Frozen):
    """What the risk engine knows of a strategy's definition: its own limits (merged over
    the namespace defaults when judged) and the generation they came with.

    Generation 0 marks limits known from the configuration rather than from the definition
    stream, which carries the resource's generation (1 and up).
    """

    limits: RiskLimits
    generation: int = Field(ge=0)
