"""GTT triggers through the official kiteconnect client: book keeping and firing."""

from __future__ import annotations

import pytest
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from kite_sim.background import BackgroundSimulator


def infy_last(kite: KiteConnect) -> float:
    return kite.ltp("NSE:INFY")["NSE:INFY"]["last_price"]


def leg(side: str, price: float, quantity: int = 1) -> dict:
    return {
        "transaction_type": side,
        "quantity": quantity,
        "order_type": "LIMIT",
        "product": "CNC",
        "price": round(price * 20) / 20,
    }


def test_a_gtt_is_placed_listed_read_modified_and_deleted(kite: KiteConnect) -> None:
    last = infy_last(kite)
    stop = round(last * 0.95 * 20) / 20
    placed = kite.place_gtt(
        kite.GTT_TYPE_SINGLE, "INFY", "NSE", [stop], last, [leg("SELL", stop - 1)]
    )
    trigger_id = placed["trigger_id"]
    gtt = kite.get_gtt(trigger_id)
    assert gtt["status"] == "active" and gtt["type"] == "single"
    assert gtt["condition"]["trigger_values"] == [stop]
    assert gtt["condition"]["instrument_token"] == 408065
    assert gtt["orders"][0]["price"] == round((stop - 1) * 20) / 20
    assert gtt["orders"][0]["result"] is None
    assert gtt["expires_at"][:4] == "2027"
    assert trigger_id in {item["id"] for item in kite.get_gtts()}

    lower = round(last * 0.9 * 20) / 20
    modified = kite.modify_gtt(
        trigger_id, kite.GTT_TYPE_SINGLE, "INFY", "NSE", [lower], last, [leg("SELL", lower, 2)]
    )
    assert modified["trigger_id"] == trigger_id
    gtt = kite.get_gtt(trigger_id)
    assert gtt["condition"]["trigger_values"] == [lower] and gtt["orders"][0]["quantity"] == 2

    assert kite.delete_gtt(trigger_id)["trigger_id"] == trigger_id
    assert kite.get_gtt(trigger_id)["status"] == "deleted"
    with pytest.raises(kite_errors.InputException, match="deleted"):
        kite.delete_gtt(trigger_id)


def test_two_leg_triggers_must_bracket_the_last_price(kite: KiteConnect) -> None:
    last = infy_last(kite)
    with pytest.raises(kite_errors.InputException) as raised:
        kite.place_gtt(
            kite.GTT_TYPE_OCO,
            "INFY",
            "NSE",
            [last * 1.01, last * 1.05],
            last,
            [leg("SELL", last), leg("SELL", last * 1.05)],
        )
    assert str(raised.value) == "Trigger prices must bracket current price."


@pytest.mark.parametrize(
    ("symbol", "fields", "message"),
    [
        ("NOSUCH", {}, "Invalid `tradingsymbol`."),
        ("INFY", {"order_type": "MARKET"}, "Invalid `order_type`: GTT orders are LIMIT orders."),
        ("INFY", {"quantity": 0}, "Quantity should be a positive multiple of lot size (1)."),
        ("INFY", {"price": 100.03}, "Kindly enter `price` in multiples of tick size."),
    ],
)
def test_bad_gtt_input_is_refused(
    kite: KiteConnect, symbol: str, fields: dict, message: str
) -> None:
    last = infy_last(kite)
    with pytest.raises(kite_errors.InputException) as raised:
        kite.place_gtt(
            kite.GTT_TYPE_SINGLE,
            symbol,
            "NSE",
            [round(last * 0.9, 2)],
            last,
            [{**leg("BUY", last * 0.9), **fields}],
        )
    assert str(raised.value).endswith(message)


def test_a_crossed_trigger_places_its_limit_order_and_records_the_result(
    background: BackgroundSimulator, kite: KiteConnect
) -> None:
    last = infy_last(kite)
    # Placed on a stale last price above the trigger: the market is already through it.
    trigger = round((last + 1) * 20) / 20
    limit = round(last * 1.01 * 20) / 20
    placed = kite.place_gtt(
        kite.GTT_TYPE_SINGLE, "INFY", "NSE", [trigger], last + 2, [leg("BUY", limit, 3)]
    )
    background.call(background.simulator.on_tick_round)
    gtt = kite.get_gtt(placed["trigger_id"])
    assert gtt["status"] == "triggered"
    result = gtt["orders"][0]["result"]
    assert result["order_result"]["status"] == "success"
    assert result["triggered_at"] == last
    order_id = result["order_result"]["order_id"]
    order = kite.order_history(order_id)[-1]
    assert order["order_type"] == "LIMIT" and order["price"] == limit
    assert order["quantity"] == 3 and order["status"] == "COMPLETE"
    with pytest.raises(kite_errors.InputException, match="triggered"):
        kite.modify_gtt(
            placed["trigger_id"], "single", "INFY", "NSE", [trigger], last, [leg("BUY", limit)]
        )


def test_an_untouched_trigger_stays_active(
    background: BackgroundSimulator, kite: KiteConnect
) -> None:
    last = infy_last(kite)
    far = round(last * 1.2 * 20) / 20
    placed = kite.place_gtt(kite.GTT_TYPE_SINGLE, "INFY", "NSE", [far], last, [leg("BUY", far)])
    background.call(background.simulator.on_tick_round)
    assert kite.get_gtt(placed["trigger_id"])["status"] == "active"
