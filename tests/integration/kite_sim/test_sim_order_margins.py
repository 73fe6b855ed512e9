"""Order margins (`/margins/orders`) through the official kiteconnect client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.values import Side


def order(**fields: object) -> dict:
    return {
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": "BUY",
        "variety": "regular",
        "product": "CNC",
        "order_type": "MARKET",
        "quantity": 10,
        "price": 0,
        "trigger_price": 0,
        **fields,
    }


def nfo(kite: KiteConnect, kind: str) -> dict:
    return next(
        row
        for row in kite.instruments("NFO")
        if row["name"] == "NIFTY" and row["instrument_type"] == kind
    )


def test_delivery_blocks_the_full_value_and_intraday_a_fifth(kite: KiteConnect) -> None:
    last = kite.ltp("NSE:INFY")["NSE:INFY"]["last_price"]
    delivery, intraday, limit = kite.order_margins(
        [order(), order(product="MIS"), order(order_type="LIMIT", price=1500)]
    )
    assert delivery["type"] == "equity" and delivery["tradingsymbol"] == "INFY"
    assert delivery["total"] == delivery["var"] == pytest.approx(last * 10, abs=0.01)
    assert delivery["leverage"] == 1 and intraday["leverage"] == 5
    assert intraday["total"] == pytest.approx(last * 10 / 5, abs=0.01)
    assert limit["total"] == 15_000
    expected = ChargeSchedule().charges(Side.BUY, Decimal("15000"), Product.DELIVERY)
    assert limit["charges"]["total"] == float(expected.total) > 0
    assert limit["charges"]["stamp_duty"] == float(expected.stamp_duty)


def test_futures_block_span_and_exposure_and_bought_options_their_premium(
    kite: KiteConnect,
) -> None:
    future, call = nfo(kite, "FUT"), nfo(kite, "CE")
    future_order = order(
        exchange="NFO",
        tradingsymbol=future["tradingsymbol"],
        product="NRML",
        order_type="LIMIT",
        price=26000,
        quantity=future["lot_size"],
    )
    bought, sold = (
        order(
            exchange="NFO",
            tradingsymbol=call["tradingsymbol"],
            product="NRML",
            order_type="LIMIT",
            price=300,
            quantity=call["lot_size"],
            transaction_type=side,
        )
        for side in ("BUY", "SELL")
    )
    margins = kite.order_margins([future_order, bought, sold])
    value = 26000 * future["lot_size"]
    assert margins[0]["span"] == pytest.approx(value * 0.12)
    assert margins[0]["exposure"] == pytest.approx(value * 0.03)
    assert margins[0]["total"] == pytest.approx(value * 0.15)
    assert margins[1]["option_premium"] == margins[1]["total"] == 300 * call["lot_size"]
    assert margins[2]["total"] == pytest.approx(call["strike"] * call["lot_size"] * 0.15)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tradingsymbol": "NOSUCH"}, "Invalid `tradingsymbol`."),
        ({"quantity": 0}, "Quantity should be a positive multiple of lot size (1)."),
        ({"order_type": "STOP"}, "Invalid `order_type`."),
        ({"transaction_type": "HOLD"}, "Invalid `transaction_type`."),
    ],
)
def test_bad_orders_raise_input_exceptions(kite: KiteConnect, fields: dict, message: str) -> None:
    with pytest.raises(kite_errors.InputException) as raised:
        kite.order_margins([order(**fields)])
    assert str(raised.value) == message


def test_an_empty_list_is_refused(kite: KiteConnect) -> None:
    with pytest.raises(kite_errors.InputException, match="JSON list of orders"):
        kite.order_margins([])
