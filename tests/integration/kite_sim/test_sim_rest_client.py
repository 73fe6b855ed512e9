"""The official, unmodified kiteconnect REST client against the simulator."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from kite_sim.background import BackgroundSimulator
from kite_sim.rate_limits import RateLimit
from tests.integration.kite_sim.support import frozen_config


def request_token(background: BackgroundSimulator) -> str:
    login = f"{background.urls.login}?api_key={background.simulator.api_key}&v=3"
    redirect = requests.get(login, allow_redirects=False, timeout=5)
    assert redirect.status_code == 302
    return parse_qs(urlparse(redirect.headers["Location"]).query)["request_token"][0]


def test_login_flow_with_checksum_gives_an_access_token(background: BackgroundSimulator) -> None:
    simulator = background.simulator
    kite = KiteConnect(simulator.api_key, root=background.urls.rest)
    token = request_token(background)
    session = kite.generate_session(token, api_secret=simulator.api_secret)
    assert session["access_token"] == kite.access_token and session["user_id"] == "AP0001"
    assert session["login_time"].year == 2026
    assert kite.profile()["user_id"] == "AP0001"
    with pytest.raises(kite_errors.TokenException):
        kite.generate_session(token, api_secret=simulator.api_secret)


def test_wrong_secret_fails_the_checksum(background: BackgroundSimulator) -> None:
    kite = KiteConnect(background.simulator.api_key, root=background.urls.rest)
    with pytest.raises(kite_errors.TokenException) as raised:
        kite.generate_session(request_token(background), api_secret="not-the-secret")
    assert raised.value.code == 403


def test_instruments_dump_parses_with_tick_and_lot_sizes(kite: KiteConnect) -> None:
    instruments = {row["tradingsymbol"]: row for row in kite.instruments()}
    assert instruments["RELIANCE"]["instrument_token"] == 738561
    assert instruments["RELIANCE"]["tick_size"] == 0.05
    assert instruments["NIFTY 50"]["segment"] == "INDICES"
    future = next(
        row
        for row in instruments.values()
        if row["tradingsymbol"].startswith("NIFTY") and row["instrument_type"] == "FUT"
    )
    assert future["lot_size"] == 75 and future["expiry"].weekday() == 1
    assert {row["exchange"] for row in kite.instruments("NFO")} == {"NFO"}


def test_quote_ltp_and_ohlc_agree(kite: KiteConnect) -> None:
    quote = kite.quote("NSE:RELIANCE", "NSE:NIFTY 50")
    reliance = quote["NSE:RELIANCE"]
    assert len(reliance["depth"]["buy"]) == 5 and len(reliance["depth"]["sell"]) == 5
    assert (
        reliance["depth"]["buy"][0]["price"]
        < reliance["last_price"]
        < reliance["depth"]["sell"][0]["price"]
    )
    assert (
        reliance["lower_circuit_limit"] < reliance["last_price"] < reliance["upper_circuit_limit"]
    )
    ltp = kite.ltp("NSE:RELIANCE")["NSE:RELIANCE"]
    ohlc = kite.ohlc("NSE:RELIANCE")["NSE:RELIANCE"]
    assert ltp["last_price"] == ohlc["last_price"] == reliance["last_price"]
    assert quote["NSE:NIFTY 50"]["depth"] == {"buy": [], "sell": []}


def test_margins_and_holdings(kite: KiteConnect) -> None:
    margins = kite.margins()
    assert (
        margins["equity"]["enabled"] is True and margins["equity"]["available"]["cash"] == 1_000_000
    )
    assert kite.margins("equity")["net"] == margins["equity"]["net"]
    assert kite.holdings() == []


def test_market_order_fills_and_shows_in_trades_and_positions(kite: KiteConnect) -> None:
    order_id = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="INFY",
        transaction_type="BUY",
        quantity=2,
        product="MIS",
        order_type="MARKET",
        market_protection=-1,
        tag="strat1-0001",
    )
    (order,) = [item for item in kite.orders() if item["order_id"] == order_id]
    assert (
        order["status"] == "COMPLETE"
        and order["filled_quantity"] == 2
        and order["tag"] == "strat1-0001"
    )
    statuses = [state["status"] for state in kite.order_history(order_id)]
    assert statuses[0] == "PUT ORDER REQ RECEIVED" and statuses[-1] == "COMPLETE"
    trades = kite.order_trades(order_id)
    assert sum(trade["quantity"] for trade in trades) == 2
    assert order_id in {trade["order_id"] for trade in kite.trades()}
    infy = next(row for row in kite.positions()["net"] if row["tradingsymbol"] == "INFY")
    assert infy["quantity"] == 2 and infy["buy_quantity"] == 2


def test_market_order_without_market_protection_is_refused(kite: KiteConnect) -> None:
    with pytest.raises(kite_errors.InputException) as raised:
        kite.place_order(
            variety="regular",
            exchange="NSE",
            tradingsymbol="INFY",
            transaction_type="BUY",
            quantity=1,
            product="MIS",
            order_type="MARKET",
        )
    assert raised.value.code == 400 and "market_protection" in str(raised.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"tag": "x" * 21},
        {"quantity": 0},
        {"tradingsymbol": "NOSUCHSTOCK"},
        {"order_type": "LIMIT", "price": 100.03},
        {"order_type": "SL-M", "trigger_price": 2000},
        {"exchange": "NFO", "tradingsymbol": "NIFTY26DECFUT", "quantity": 10, "product": "NRML"},
    ],
)
def test_bad_order_input_raises_input_exception(kite: KiteConnect, fields: dict) -> None:
    order = {
        "variety": "regular",
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": "BUY",
        "quantity": 1,
        "product": "MIS",
        "order_type": "MARKET",
        "market_protection": 2,
    }
    order.update(fields)
    if fields.get("order_type") == "SL-M":
        del order["market_protection"]
    with pytest.raises(kite_errors.InputException):
        kite.place_order(**order)


def test_limit_order_rests_then_modify_fills_it_and_cancel_refuses_a_done_order(
    kite: KiteConnect,
) -> None:
    last = kite.ltp("NSE:TCS")["NSE:TCS"]["last_price"]
    low = round(last * 0.95 * 20) / 20
    order_id = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="TCS",
        transaction_type="BUY",
        quantity=1,
        product="CNC",
        order_type="LIMIT",
        price=low,
    )
    assert kite.order_history(order_id)[-1]["status"] == "OPEN"
    high = round(last * 1.01 * 20) / 20
    kite.modify_order(variety="regular", order_id=order_id, price=high)
    final = kite.order_history(order_id)[-1]
    assert final["status"] == "COMPLETE" and final["average_price"] <= high
    with pytest.raises(kite_errors.InputException):
        kite.cancel_order(variety="regular", order_id=order_id)


def test_cancel_leaves_a_resting_order_cancelled(kite: KiteConnect) -> None:
    last = kite.ltp("NSE:SBIN")["NSE:SBIN"]["last_price"]
    order_id = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="SBIN",
        transaction_type="SELL",
        quantity=3,
        product="MIS",
        order_type="LIMIT",
        price=round(last * 1.05 * 20) / 20,
    )
    assert kite.cancel_order(variety="regular", order_id=order_id) == order_id
    final = kite.order_history(order_id)[-1]
    assert final["status"] == "CANCELLED" and final["cancelled_quantity"] == 3


def test_stop_orders_wait_for_their_trigger(kite: KiteConnect) -> None:
    last = kite.ltp("NSE:ITC")["NSE:ITC"]["last_price"]
    above = round(last * 1.02 * 20) / 20
    below = round(last * 0.98 * 20) / 20
    stop_limit = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="ITC",
        transaction_type="BUY",
        quantity=1,
        product="MIS",
        order_type="SL",
        trigger_price=above,
        price=above + 1,
    )
    stop_market = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="ITC",
        transaction_type="SELL",
        quantity=1,
        product="MIS",
        order_type="SL-M",
        trigger_price=below,
        market_protection=5,
    )
    assert kite.order_history(stop_limit)[-1]["status"] == "TRIGGER PENDING"
    assert kite.order_history(stop_market)[-1]["status"] == "TRIGGER PENDING"


def test_large_market_order_fills_partially_across_levels_then_completes(
    background: BackgroundSimulator, kite: KiteConnect
) -> None:
    depth = kite.quote("NSE:WIPRO")["NSE:WIPRO"]["depth"]["sell"]
    offered = sum(level["quantity"] for level in depth)
    order_id = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="WIPRO",
        transaction_type="BUY",
        quantity=offered + 1,
        product="MIS",
        order_type="MARKET",
        market_protection=10,
    )
    partial = kite.order_history(order_id)[-1]
    assert partial["status"] == "OPEN" and partial["filled_quantity"] == offered
    assert len(kite.order_trades(order_id)) == len(depth)
    clock = background.simulator.clock
    background.call(lambda: clock.advance(timedelta(seconds=5)))
    background.call(background.simulator.broker.match_open_orders)
    assert kite.order_history(order_id)[-1]["status"] == "COMPLETE"


def test_expired_token_raises_token_exception(background: BackgroundSimulator) -> None:
    session = background.call(background.simulator.login)
    kite = KiteConnect(
        background.simulator.api_key, session.access_token, root=background.urls.rest
    )
    assert kite.profile()["user_id"] == "AP0001"
    background.run(background.simulator.expire_tokens())
    with pytest.raises(kite_errors.TokenException) as raised:
        kite.profile()
    assert raised.value.code == 403


def test_token_dies_at_six_the_next_morning_on_the_simulated_clock() -> None:
    with BackgroundSimulator(frozen_config()) as background:
        session = background.call(background.simulator.login)
        kite = KiteConnect(
            background.simulator.api_key, session.access_token, root=background.urls.rest
        )
        clock = background.simulator.clock
        background.call(lambda: clock.set(session.expires_at - timedelta(seconds=1)))
        assert kite.margins()["equity"]["enabled"]
        background.call(lambda: clock.advance(timedelta(seconds=1)))
        with pytest.raises(kite_errors.TokenException):
            kite.margins()


def test_rate_limit_maps_to_429() -> None:
    limits = {"quote": RateLimit(1, window_seconds=3600.0), "orders": RateLimit(10, 3600.0)}
    with BackgroundSimulator(frozen_config(rate_limits=limits)) as background:
        session = background.call(background.simulator.login)
        kite = KiteConnect(
            background.simulator.api_key, session.access_token, root=background.urls.rest
        )
        assert kite.ltp("NSE:INFY")
        with pytest.raises(kite_errors.NetworkException) as raised:
            kite.ltp("NSE:INFY")
        assert raised.value.code == 429
        assert kite.profile()["user_id"] == "AP0001"


def test_invalidated_access_token_is_refused(background: BackgroundSimulator) -> None:
    session = background.call(background.simulator.login)
    kite = KiteConnect(
        background.simulator.api_key, session.access_token, root=background.urls.rest
    )
    assert kite.invalidate_access_token() is True
    with pytest.raises(kite_errors.TokenException):
        kite.profile()


def test_requests_without_the_kite_version_header_are_refused(kite: KiteConnect) -> None:
    headers = {"Authorization": f"token {kite.api_key}:{kite.access_token}"}
    response = requests.get(f"{kite.root}/user/profile", headers=headers, timeout=5)
    assert response.status_code == 400 and response.json()["error_type"] == "InputException"


def test_quote_refuses_more_than_five_hundred_instruments(kite: KiteConnect) -> None:
    with pytest.raises(kite_errors.InputException):
        kite.quote([f"NSE:SYNTH{number:05d}" for number in range(501)])


def test_unknown_routes_answer_in_kites_error_form(background: BackgroundSimulator) -> None:
    response = requests.get(f"{background.urls.rest}/no/such/route", timeout=5)
    assert response.status_code == 404
    assert response.json() == {
        "status": "error",
        "message": "Route not found",
        "data": None,
        "error_type": "GeneralException",
    }


def test_futures_and_options_trade_in_whole_lots(kite: KiteConnect) -> None:
    derivatives = {row["tradingsymbol"]: row for row in kite.instruments("NFO")}
    future = next(
        row
        for row in derivatives.values()
        if row["name"] == "BANKNIFTY" and row["instrument_type"] == "FUT"
    )
    option = next(
        row
        for row in derivatives.values()
        if row["name"] == "NIFTY" and row["instrument_type"] == "CE"
    )
    for row, lots in ((future, 2), (option, 1)):
        order_id = kite.place_order(
            variety="regular",
            exchange="NFO",
            tradingsymbol=row["tradingsymbol"],
            transaction_type="BUY",
            quantity=row["lot_size"] * lots,
            product="NRML",
            order_type="MARKET",
            market_protection=-1,
        )
        final = kite.order_history(order_id)[-1]
        assert final["filled_quantity"] == row["lot_size"] * lots
    positions = {row["tradingsymbol"]: row for row in kite.positions()["net"]}
    assert positions[future["tradingsymbol"]]["quantity"] == future["lot_size"] * 2
