"""Order lifecycle records the trading engine reports, and the broker's notices it reads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from alpha_panda.domain.values import Frozen, OrderType, Side, UtcDatetime


class OrderPlaced(Frozen):
    order_id: str
    strategy_id: str
    instrument_token: int
    tradingsymbol: str = ""
    side: Side
    quantity: int = Field(gt=0)
    order_type: OrderType
    limit_price: Decimal | None = None
    tag: str = Field(max_length=20)
    placed_at: UtcDatetime

    def failure(self, quantity: int, reason: str, at: datetime) -> OrderFailed:
        """Return the failure of `quantity` of this order, with the reason."""
        return OrderFailed(
            order_id=self.order_id,
            strategy_id=self.strategy_id,
            instrument_token=self.instrument_token,
            side=self.side,
            quantity=quantity,
            reason=reason,
            failed_at=at,
        )


class OrderFilled(Frozen):
    """A (possibly partial) execution: quantity and price of this fill, charges included."""

    order_id: str
    fill_id: str
    strategy_id: str
    instrument_token: int
    tradingsymbol: str = ""
    side: Side
    quantity: int = Field(gt=0)
    price: Decimal
    charges: Decimal = Decimal(0)
    remaining_quantity: int = Field(default=0, ge=0)
    filled_at: UtcDatetime


class OrderFailed(Frozen):
    order_id: str
    strategy_id: str
    instrument_token: int
    side: Side
    quantity: int
    reason: str
    failed_at: UtcDatetime


class BrokerOrderUpdate(Frozen):
    """The broker's notice that one of the account's orders changed (Kite's order update).

    A trigger, not a record of fills: the engine reads the order itself when one of its own
    orders (found by `tag`) moves, since a notice can be lost or arrive more than once.
    """

    broker_order_id: str = Field(min_length=1)
    tag: str | None = None
    status: str = Field(min_length=1)
    filled_quantity: int = Field(ge=0)
    updated_at: UtcDatetime
