"""Builders for domain records, stamped on a Monday trading session in IST."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import IST, OrderType, Side

SESSION_START = datetime(2026, 11, 23, 10, 0, tzinfo=IST)
"""A Monday, 10:00 IST: inside NSE normal market hours."""


def at(seconds: float = 0) -> datetime:
    """Return the instant `seconds` after SESSION_START."""
    return SESSION_START + timedelta(seconds=seconds)


def make_tick(
    price: str | Decimal,
    seconds: float = 0,
    token: int = 408065,
    bids: tuple[tuple[str, int], ...] = (),
    asks: tuple[tuple[str, int], ...] = (),
) -> Tick:
    return Tick(
        instrument_token=token,
        exchange_timestamp=at(seconds),
        last_price=Decimal(price),
        bids=tuple((Decimal(p), q, 1) for p, q in bids),
        asks=tuple((Decimal(p), q, 1) for p, q in asks),
        mode="full" if bids or asks else "ltp",
    )


def make_signal(
    side: Side = Side.BUY,
    quantity: int = 10,
    price: str = "100",
    seconds: float = 0,
    strategy_id: str = "alpha",
    token: int = 408065,
    order_type: OrderType = OrderType.MARKET,
    limit_price: str | None = None,
) -> Signal:
    return Signal(
        strategy_id=strategy_id,
        instrument_token=token,
        tradingsymbol="INFY",
        side=side,
        quantity=quantity,
        order_type=order_type,
        limit_price=None if limit_price is None else Decimal(limit_price),
        reference_price=Decimal(price),
        generated_at=at(seconds),
    )


def make_fill(
    side: Side = Side.BUY,
    quantity: int = 10,
    price: str = "100",
    seconds: float = 0,
    strategy_id: str = "alpha",
    token: int = 408065,
    charges: str = "0",
    fill_id: str | None = None,
) -> OrderFilled:
    fill_id = fill_id or f"{strategy_id}-{side}-{quantity}-{price}-{seconds}"
    return OrderFilled(
        order_id=fill_id,
        fill_id=fill_id,
        strategy_id=strategy_id,
        instrument_token=token,
        side=side,
        quantity=quantity,
        price=Decimal(price),
        charges=Decimal(charges),
        filled_at=at(seconds),
    )


@pytest.fixture
def tick() -> Callable[..., Tick]:
    """Build a tick: tick(price, seconds=0, token=408065, bids=(), asks=())."""
    return make_tick


@pytest.fixture
def signal() -> Callable[..., Signal]:
    """Build a signal: signal(side, quantity, price, seconds, strategy_id, token, ...)."""
    return make_signal


@pytest.fixture
def fill() -> Callable[..., OrderFilled]:
    """Build a fill: fill(side, quantity, price, seconds, strategy_id, token, charges, fill_id)."""
    return make_fill


@pytest.fixture
def moment() -> Callable[[float], datetime]:
    """Return at(seconds): an instant relative to the Monday 10:00 IST session start."""
    return at
