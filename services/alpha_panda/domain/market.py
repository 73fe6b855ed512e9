"""Market data as the domain sees it, independent of Kite's wire format."""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, NonNegativeInt
from pydantic_core import CoreSchema, core_schema
from typing_extensions import TypedDict

from alpha_panda.domain.values import Frozen, UtcDatetime


class _LevelObject(TypedDict):
    price: Decimal
    quantity: NonNegativeInt
    orders: NonNegativeInt


class _AlsoFromObject:
    """Validate a level from an array and, for events written before depth became arrays, from
    an object; both checks run in pydantic-core, with no Python call on the array path."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        as_object = core_schema.no_info_after_validator_function(
            itemgetter("price", "quantity", "orders"), handler.generate_schema(_LevelObject)
        )
        return core_schema.union_schema([handler(source), as_object], mode="left_to_right")


DepthLevel = Annotated[tuple[Decimal, NonNegativeInt, NonNegativeInt], _AlsoFromObject()]
"""One order-book level: (price, quantity, orders), a JSON array on the wire.

A plain tuple rather than a named one: the feed builds ten per full tick, and creating a tuple
subclass costs three times as much; consumers validate plain tuples without calling Python.
"""


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
