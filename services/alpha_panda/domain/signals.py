"""Trading signals and the risk manager's verdicts on them."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from alpha_panda.domain.market import Tick
from alpha_panda.domain.values import Frozen, OrderType, Side, UtcDatetime


class Signal(Frozen):
    """A strategy's wish to trade, stamped with the exchange time of the tick that caused it."""

    strategy_id: str = Field(min_length=1)
    instrument_token: int = Field(gt=0)
    tradingsymbol: str = ""
    exchange: str = "NSE"
    side: Side
    quantity: int = Field(gt=0)
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    reference_price: Decimal
    generated_at: UtcDatetime
    reason: str = ""


class ValidatedSignal(Frozen):
    """A signal that passed every risk check; nests the original signal unchanged.

    `market` is the last tick of the instrument the decision saw: a paper order is filled
    from it, so executing the same validated signal again (a redelivery) gives the same
    fills whatever the market did since. Absent when the risk engine had no tick.
    """

    signal: Signal
    checks_passed: tuple[str, ...]
    market: Tick | None = None


class RejectedSignal(Frozen):
    """A signal refused by a risk rule, with the rule's name and reason."""

    signal: Signal
    rule: str
    reason: str
