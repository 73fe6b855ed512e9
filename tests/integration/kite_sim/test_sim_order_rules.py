"""Kite's pre-trade order checks as the official kiteconnect client meets them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from kite_sim.background import BackgroundSimulator
from tests.integration.kite_sim.support import START


@contextmanager
def clock_at(background: BackgroundSimulator, hour: int, minute: int = 0) -> Iterator[None]:
    clock = background.simulator.clock
    background.call(lambda: clock.set(START.replace(hour=hour, minute=minute)))
    try:
        yield
    finally:
        background.call(lambda: clock.set(START))


def option(kite: KiteConnect, underlying: str, kind: str = "CE") -> dict:
    return next(
        row
        for row in kite.instruments("NFO")
        if row["name"] == underlying and row["instrument_type"] == kind
    )


def equity(**fields: object) -> dict[str, object]:
    """Return a regular one-share NSE intraday order for INFY with `fields` changed."""
    return {
        "variety": "regular",
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": "BUY",
        "quantity": 1,
        "product": "MIS",
        **fields,
    }


def refused(kite: KiteConnect, **order: object) -> str:
    with pytest.raises(kite_errors.InputException) as raised:
        kite.place_order(**order)
    assert raised.value.code == 400
    return str(raised.value)


def test_a_buy_stop_with_its_trigger_below_the_last_price_is_refused(kite: KiteConnect) -> None:
    last = kite.ltp("NSE:INFY")["NSE:INFY"]["last_price"]
    below = round(last * 0.98 * 20) / 20
    message = refused(kite, **equity(order_type="SL", trigger_price=below, price=below + 1))
    assert message == (
        "Trigger price for stoploss buy orders should be higher than the last traded price."
    )
    assert all(order["trigger_price"] != below for order in kite.orders())


def test_a_sell_stop_limit_priced_above_its_trigger_is_refused(kite: KiteConnect) -> None:
    last = kite.ltp("NSE:INFY")["NSE:INFY"]["last_price"]
    trigger = round(last * 0.98 * 20) / 20
    message = refused(
        kite,
        **equity(
            transaction_type="SELL", order_type="SL", trigger_price=trigger, price=trigger + 1
        ),
    )
    assert message == "Trigger price for stoploss sell orders cannot be lower than price."


def test_modifying_a_sell_stop_trigger_above_the_last_price_is_refused(kite: KiteConnect) -> None:
    last = kite.ltp("NSE:SBIN")["NSE:SBIN"]["last_price"]
    order_id = kite.place_order(
        **equity(
            tradingsymbol="SBIN",
            transaction_type="SELL",
            order_type="SL-M",
            trigger_price=round(last * 0.97 * 20) / 20,
            market_protection=-1,
        )
    )
    with pytest.raises(kite_errors.InputException, match="lower than the last traded price"):
        kite.modify_order(
            variety="regular", order_id=order_id, trigger_price=round(last * 1.03 * 20) / 20
        )
    assert kite.order_history(order_id)[-1]["status"] == "TRIGGER PENDING"


def test_market_orders_on_stock_options_are_refused_and_on_index_options_filled(
    kite: KiteConnect,
) -> None:
    order = {
        "variety": "regular",
        "exchange": "NFO",
        "transaction_type": "BUY",
        "product": "NRML",
        "order_type": "MARKET",
        "market_protection": -1,
    }
    stock = option(kite, "RELIANCE")
    message = refused(
        kite, **order, tradingsymbol=stock["tradingsymbol"], quantity=stock["lot_size"]
    )
    assert message.startswith("Market orders are blocked for stock options")
    index = option(kite, "NIFTY")
    order_id = kite.place_order(
        **order, tradingsymbol=index["tradingsymbol"], quantity=index["lot_size"]
    )
    assert kite.order_history(order_id)[-1]["status"] == "COMPLETE"


def test_stop_market_orders_on_options_are_refused(kite: KiteConnect) -> None:
    index = option(kite, "NIFTY", "PE")
    last = kite.ltp(f"NFO:{index['tradingsymbol']}")[f"NFO:{index['tradingsymbol']}"]
    message = refused(
        kite,
        variety="regular",
        exchange="NFO",
        tradingsymbol=index["tradingsymbol"],
        transaction_type="SELL",
        quantity=index["lot_size"],
        product="NRML",
        order_type="SL-M",
        trigger_price=round(last["last_price"] * 0.9 * 20) / 20,
        market_protection=-1,
    )
    assert message == "SL-M orders are not allowed for options. Place an SL order instead."


def test_amo_is_refused_during_market_hours_and_taken_after_them(
    background: BackgroundSimulator, kite: KiteConnect
) -> None:
    order = equity(variety="amo", tradingsymbol="ITC", product="CNC", order_type="LIMIT", price=400)
    assert refused(kite, **order).startswith("AMOs are blocked between 9:00 AM and 3:45 PM")
    with clock_at(background, 15, 50):
        order_id = kite.place_order(**order)
        assert kite.order_history(order_id)[-1]["status"] == "AMO REQ RECEIVED"
    with clock_at(background, 9, 5):
        assert "AMOs are blocked" in refused(kite, **order)


def test_pre_open_collects_equity_limit_orders_until_eight_past_nine(
    background: BackgroundSimulator, kite: KiteConnect
) -> None:
    order = equity(tradingsymbol="TCS", product="CNC")
    with clock_at(background, 9, 3):
        last = kite.ltp("NSE:TCS")["NSE:TCS"]["last_price"]
        marketable = round(last * 1.02 * 20) / 20
        order_id = kite.place_order(**order, order_type="LIMIT", price=marketable)
        collected = kite.order_history(order_id)[-1]
        assert collected["status"] == "OPEN" and collected["filled_quantity"] == 0
        assert "Only LIMIT and MARKET" in refused(
            kite, **order, order_type="SL", price=marketable + 1, trigger_price=marketable
        )
    with clock_at(background, 9, 10):
        assert refused(kite, **order, order_type="LIMIT", price=marketable).startswith(
            "The pre-open order collection period"
        )
    with clock_at(background, 9, 15):
        background.call(background.simulator.broker.match_open_orders)
        assert kite.order_history(order_id)[-1]["status"] == "COMPLETE"


def test_regular_orders_after_the_close_are_refused(
    background: BackgroundSimulator, kite: KiteConnect
) -> None:
    with clock_at(background, 16):
        message = refused(kite, **equity(tradingsymbol="ITC", order_type="LIMIT", price=400))
    assert message.startswith("Markets are closed right now")
