"""Market data as the domain sees it, independent of Kite's wire format."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, NamedTuple

from pydantic import Field

from alpha_panda.domain.values import Frozen, UtcDatetime


class DepthLevel(NamedTuple):
    """One order-book level; a tuple so the feed builds it cheaply, a JSON array on the wire.

    Inside a `Tick` it is validated like any field: from an array or an object.
    """

    price: Decimal
    quantity: Annotated[int, Field(ge=0)]
    orders: Annotated[int, Field(ge=0)]


class Tick(Frozen):
    """One market data update for an instrument, stamped with exchange time (UTC)."""

    instrument_token: int = Field(gt=0)
    exchange_timestamp: UtcDatetime
    last_price: Decimal
    last_quantity: int = 0
    average_price: Decimal | None = None
    volume: int = 0
    buy_quantity: int = 0
    sell_quantity: int = 0
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    oi: int | None = None
    oi_day_high: int | None = None
    oi_day_low: int | None = None
    last_trade_time: UtcDatetime | None = None
    bids: tuple[DepthLevel, ...] = ()
    asks: tuple[DepthLevel, ...] = ()
    mode: str = "ltp"


class Instrument(Frozen):
    """A tradable instrument from the daily instruments dump."""

    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str = ""
    exchange: str
    segment: str
    instrument_type: str
    tick_size: Decimal
    lot_size: int
    expiry: str | None = None
    strike: Decimal = Decimal(0)
