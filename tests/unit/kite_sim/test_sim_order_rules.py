"""Kite's clock- and market-dependent order checks, as pure functions and inside the broker."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.backtest.generated_market.quotes import Quote
from alpha_panda.domain.values import IST
from kite_sim.errors import InputError
from kite_sim.order_rules import (
    AMO_DURING_DAY,
    INDEX_OPTION_MARKET_AMO,
    MARKETS_CLOSED,
    OPTION_STOP_MARKET,
    PRE_OPEN_ENDED,
    PRE_OPEN_TYPES,
    STOCK_OPTION_MARKET,
    check_order_type,
    check_session,
    check_stoploss,
    is_stock_option,
)
from tests.unit.kite_sim.desk import KEY, Desk

WEDNESDAY = datetime(2026, 11, 25, tzinfo=IST)
REGISTRY = InstrumentRegistry.build(WEDNESDAY.date())
INFY = REGISTRY.by_key("NSE:INFY")
NIFTY_FUTURE = next(i for i in REGISTRY if i.name == "NIFTY" and i.instrument_type == "FUT")
NIFTY_CALL = next(i for i in REGISTRY if i.name == "NIFTY" and i.instrument_type == "CE")
RELIANCE_PUT = next(i for i in REGISTRY if i.name == "RELIANCE" and i.instrument_type == "PE")


def at(hour: int, minute: int = 0, day: datetime = WEDNESDAY) -> datetime:
    return day.replace(hour=hour, minute=minute)


def refusal(check: object, *arguments: object) -> str | None:
    try:
        check(*arguments)  # type: ignore[operator]
    except InputError as error:
        return error.message
    return None


def quote(last: int, lower: int = 90_000, upper: int = 110_000) -> Quote:
    return Quote(
        1,
        0,
        WEDNESDAY,
        last,
        0,
        last,
        0,
        0,
        0,
        last,
        last,
        last,
        last,
        0,
        0,
        0,
        lower,
        upper,
        (),
        (),
    )


@pytest.mark.parametrize(
    ("variety", "instrument", "order_type", "instant", "expected"),
    [
        ("amo", INFY, "LIMIT", at(10), AMO_DURING_DAY),
        ("amo", INFY, "LIMIT", at(9, 0), AMO_DURING_DAY),
        ("amo", INFY, "LIMIT", at(15, 44), AMO_DURING_DAY),
        ("amo", INFY, "LIMIT", at(15, 45), None),
        ("amo", INFY, "LIMIT", at(8, 59), None),
        ("amo", NIFTY_FUTURE, "LIMIT", at(9, 5), None),
        ("amo", NIFTY_FUTURE, "LIMIT", at(9, 10), AMO_DURING_DAY),
        ("amo", INFY, "LIMIT", at(11, day=WEDNESDAY + timedelta(days=3)), None),
        ("regular", INFY, "LIMIT", at(10), None),
        ("regular", INFY, "MARKET", at(9, 5), None),
        ("regular", INFY, "SL", at(9, 5), PRE_OPEN_TYPES),
        ("regular", INFY, "LIMIT", at(9, 8), PRE_OPEN_ENDED),
        ("regular", NIFTY_FUTURE, "LIMIT", at(9, 5), MARKETS_CLOSED),
        ("regular", INFY, "LIMIT", at(15, 30), MARKETS_CLOSED),
        ("regular", INFY, "LIMIT", at(8, 59), MARKETS_CLOSED),
    ],
)
def test_the_session_decides_which_variety_is_taken(
    variety: str,
    instrument: ListedInstrument,
    order_type: str,
    instant: datetime,
    expected: str | None,
) -> None:
    assert refusal(check_session, variety, instrument, order_type, instant) == expected


def test_options_on_stocks_and_indices_are_told_apart() -> None:
    assert is_stock_option(RELIANCE_PUT) and not is_stock_option(NIFTY_CALL)
    assert not is_stock_option(NIFTY_FUTURE) and not is_stock_option(INFY)


@pytest.mark.parametrize(
    ("variety", "instrument", "order_type", "expected"),
    [
        ("regular", RELIANCE_PUT, "MARKET", STOCK_OPTION_MARKET),
        ("regular", RELIANCE_PUT, "LIMIT", None),
        ("regular", NIFTY_CALL, "MARKET", None),
        ("amo", NIFTY_CALL, "MARKET", INDEX_OPTION_MARKET_AMO),
        ("regular", NIFTY_CALL, "SL-M", OPTION_STOP_MARKET),
        ("regular", NIFTY_CALL, "SL", None),
        ("regular", NIFTY_FUTURE, "SL-M", None),
        ("amo", INFY, "MARKET", None),
    ],
)
def test_market_orders_on_options_are_refused_where_zerodha_blocks_them(
    variety: str, instrument: ListedInstrument, order_type: str, expected: str | None
) -> None:
    assert refusal(check_order_type, variety, instrument, order_type) == expected


@pytest.mark.parametrize(
    ("side", "order_type", "price", "trigger", "expected"),
    [
        ("BUY", "SL", 101_000, 100_500, None),
        ("BUY", "SL", 100_500, 101_000, "cannot be higher than price"),
        ("SELL", "SL", 99_000, 99_500, None),
        ("SELL", "SL", 99_500, 99_000, "cannot be lower than price"),
        ("BUY", "SL-M", 0, 100_000, "buy orders should be higher than the last traded price"),
        ("BUY", "SL-M", 0, 99_000, "buy orders should be higher than the last traded price"),
        ("SELL", "SL-M", 0, 100_000, "sell orders should be lower than the last traded price"),
        ("SELL", "SL-M", 0, 101_000, "sell orders should be lower than the last traded price"),
        ("BUY", "SL-M", 0, 111_000, "cannot be above the upper circuit price"),
        ("SELL", "SL-M", 0, 89_000, "cannot be below the lower circuit price"),
        ("BUY", "LIMIT", 99_000, 0, None),
    ],
)
def test_stop_triggers_must_sit_beyond_the_last_price_and_within_circuits(
    side: str, order_type: str, price: int, trigger: int, expected: str | None
) -> None:
    message = refusal(check_stoploss, side, order_type, price, trigger, quote(100_000))
    assert message == expected if expected is None else expected in (message or "")


def test_pre_open_orders_are_collected_and_match_only_when_trading_starts() -> None:
    desk = Desk(WEDNESDAY.replace(hour=9, minute=5))
    ask = desk.quote().asks[0][0]
    order = desk.place(order_type="LIMIT", price=f"{ask / 100 + 5:.2f}")
    assert order.status == "OPEN" and order.filled_quantity == 0
    desk.broker.match_open_orders()
    assert order.filled_quantity == 0
    desk.clock.set(WEDNESDAY.replace(hour=9, minute=15))
    desk.broker.match_open_orders()
    assert order.status == "COMPLETE"


def test_a_modification_that_breaks_a_rule_is_refused_and_changes_nothing() -> None:
    desk = Desk()
    last = desk.quote().last_price
    order = desk.place(
        transaction_type="SELL",
        order_type="SL-M",
        trigger_price=f"{(last - 5) / 100:.2f}",
        market_protection=3,
    )
    with pytest.raises(InputError, match="should be lower than the last traded price"):
        desk.broker.modify(
            KEY, "regular", order.order_id, {"trigger_price": f"{(last + 5) / 100:.2f}"}
        )
    assert order.trigger_price == last - 5 and order.status == "TRIGGER PENDING"
