"""Positions and margins derived from an API key's trades, in Kite's JSON shapes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from alpha_panda.backtest.generated_market.instruments import ListedInstrument
from alpha_panda.backtest.generated_market.quotes import MarketModel, json_rupees
from kite_sim.broker import Trade


@dataclass
class _Book:
    instrument: ListedInstrument
    product: str
    buy_quantity: int = 0
    buy_value: int = 0
    sell_quantity: int = 0
    sell_value: int = 0


def _books(trades: Iterable[Trade]) -> list[_Book]:
    books: dict[tuple[int, str], _Book] = {}
    for trade in trades:
        instrument = trade.order.instrument
        key = (instrument.instrument_token, trade.order.product)
        book = books.setdefault(key, _Book(instrument, trade.order.product))
        if trade.order.transaction_type == "BUY":
            book.buy_quantity += trade.quantity
            book.buy_value += trade.quantity * trade.price
        else:
            book.sell_quantity += trade.quantity
            book.sell_value += trade.quantity * trade.price
    return list(books.values())


def _position(book: _Book, market: MarketModel, now: datetime) -> dict[str, Any]:
    instrument = book.instrument
    quote = market.quote(instrument.instrument_token, now)
    last = quote.last_price if quote else 0
    close = quote.close if quote else 0
    quantity = book.buy_quantity - book.sell_quantity
    buy_price = book.buy_value / book.buy_quantity if book.buy_quantity else 0
    sell_price = book.sell_value / book.sell_quantity if book.sell_quantity else 0
    pnl = book.sell_value - book.buy_value + quantity * last
    average = buy_price if quantity > 0 else sell_price if quantity < 0 else 0
    unrealised = quantity * (last - average) if quantity else 0
    return {
        "tradingsymbol": instrument.tradingsymbol,
        "exchange": instrument.exchange,
        "instrument_token": instrument.instrument_token,
        "product": book.product,
        "quantity": quantity,
        "overnight_quantity": 0,
        "multiplier": 1,
        "average_price": json_rupees(average),
        "close_price": json_rupees(close),
        "last_price": json_rupees(last),
        "value": json_rupees(book.sell_value - book.buy_value),
        "pnl": json_rupees(pnl),
        "m2m": json_rupees(pnl),
        "unrealised": json_rupees(unrealised),
        "realised": json_rupees(pnl - unrealised),
        "buy_quantity": book.buy_quantity,
        "buy_price": json_rupees(buy_price),
        "buy_value": json_rupees(book.buy_value),
        "buy_m2m": json_rupees(book.buy_value),
        "sell_quantity": book.sell_quantity,
        "sell_price": json_rupees(sell_price),
        "sell_value": json_rupees(book.sell_value),
        "sell_m2m": json_rupees(book.sell_value),
        "day_buy_quantity": book.buy_quantity,
        "day_buy_price": json_rupees(buy_price),
        "day_buy_value": json_rupees(book.buy_value),
        "day_sell_quantity": book.sell_quantity,
        "day_sell_price": json_rupees(sell_price),
        "day_sell_value": json_rupees(book.sell_value),
    }


def positions_json(trades: Iterable[Trade], market: MarketModel, now: datetime) -> dict[str, Any]:
    """Return `{"net": [...], "day": [...]}`; every simulated position is an intraday one."""
    positions = [_position(book, market, now) for book in _books(trades)]
    return {"net": positions, "day": [dict(position) for position in positions]}


def _segment(enabled: bool, opening: Decimal, debits: Decimal, m2m: Decimal) -> dict[str, Any]:
    net = opening - debits + m2m
    return {
        "enabled": enabled,
        "net": float(net),
        "available": {
            "adhoc_margin": 0,
            "cash": float(opening),
            "opening_balance": float(opening),
            "live_balance": float(net),
            "collateral": 0,
            "intraday_payin": 0,
        },
        "utilised": {
            "debits": float(debits),
            "exposure": 0,
            "m2m_realised": float(m2m),
            "m2m_unrealised": 0,
            "option_premium": 0,
            "payout": 0,
            "span": 0,
            "holding_sales": 0,
            "turnover": 0,
            "liquid_collateral": 0,
            "stock_collateral": 0,
            "delivery": 0,
        },
    }


def margins_json(
    trades: Iterable[Trade], market: MarketModel, now: datetime, opening_balance: Decimal
) -> dict[str, Any]:
    """Return equity and commodity margins: opening cash less what open positions tie up."""
    positions = positions_json(trades, market, now)["net"]
    debits = sum(
        (
            abs(Decimal(str(item["quantity"]))) * Decimal(str(item["average_price"]))
            for item in positions
        ),
        Decimal(0),
    )
    m2m = sum((Decimal(str(item["realised"])) for item in positions), Decimal(0))
    return {
        "equity": _segment(True, opening_balance, debits, m2m),
        "commodity": _segment(False, Decimal(0), Decimal(0), Decimal(0)),
    }


def holdings_json() -> list[dict[str, Any]]:
    """Return holdings: the simulator starts every day flat, so there are none."""
    return []
