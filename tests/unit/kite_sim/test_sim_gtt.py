"""Which leg of a GTT fires, checked on the GTT book over a broker on a frozen clock."""

from __future__ import annotations

import json

from kite_sim.gtt import GttBook
from tests.unit.kite_sim.desk import KEY, Desk


def oco(lower: int, upper: int, stated_last: int) -> dict[str, str]:
    def order(price: int) -> dict[str, object]:
        return {
            "exchange": "NSE",
            "tradingsymbol": "INFY",
            "transaction_type": "SELL",
            "quantity": 1,
            "order_type": "LIMIT",
            "product": "CNC",
            "price": price / 100,
        }

    condition = {
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "trigger_values": [lower / 100, upper / 100],
        "last_price": stated_last / 100,
    }
    return {
        "type": "two-leg",
        "condition": json.dumps(condition),
        "orders": json.dumps([order(lower - 500), order(upper)]),
    }


def book(desk: Desk) -> GttBook:
    return GttBook(desk.registry, desk.market, desk.clock, desk.broker)


def test_the_lower_leg_fires_when_the_price_is_at_or_below_the_lower_trigger() -> None:
    desk = Desk()
    gtts = book(desk)
    last = desk.quote().last_price
    gtt = gtts.place(KEY, "AP0001", oco(last, last + 1000, last + 500))
    gtts.fire_triggered()
    assert gtt.status == "triggered" and gtt.results[1] is None
    result = gtt.results[0]
    assert result is not None and result["order_result"]["status"] == "success"
    assert desk.broker.order(KEY, result["order_result"]["order_id"]).transaction_type == "SELL"


def test_the_upper_leg_fires_when_the_price_is_at_or_above_the_upper_trigger() -> None:
    desk = Desk()
    gtts = book(desk)
    last = desk.quote().last_price
    gtt = gtts.place(KEY, "AP0001", oco(last - 1000, last, last - 500))
    gtts.fire_triggered()
    assert gtt.status == "triggered" and gtt.results[0] is None and gtt.results[1] is not None


def test_a_bracketed_price_fires_nothing_and_a_closed_market_fires_nothing() -> None:
    desk = Desk()
    gtts = book(desk)
    last = desk.quote().last_price
    bracketed = gtts.place(KEY, "AP0001", oco(last - 1000, last + 1000, last))
    crossed = gtts.place(KEY, "AP0001", oco(last, last + 1000, last + 500))
    desk.clock.set(desk.clock.now().replace(hour=16))
    gtts.fire_triggered()
    assert bracketed.status == crossed.status == "active"
