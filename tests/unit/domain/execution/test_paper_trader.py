from datetime import timedelta
from decimal import Decimal

import pytest

from alpha_panda.domain.execution import (
    ChargeSchedule,
    PaperTrader,
    PaperTraderConfig,
    Product,
    order_tag,
)
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.risk import RiskEngine, RiskEngineConfig, RiskLimits
from alpha_panda.domain.signals import ValidatedSignal
from alpha_panda.domain.values import Namespace, OrderType, Side

TOKEN = 408065


def validated(signal):
    return ValidatedSignal(signal=signal, checks_passed=("market_hours",))


def fills_of(events):
    return [event for event in events if isinstance(event, OrderFilled)]


@pytest.fixture
def trader():
    return PaperTrader(PaperTraderConfig(latency_ms=250))


def test_market_buy_without_depth_fills_at_last_price_not_signal_price(trader, signal, tick):
    events = trader.execute(validated(signal(Side.BUY, 10, "90")), tick("100.05"), "ord-1")
    placed, fill = events
    assert isinstance(placed, OrderPlaced)
    assert placed.strategy_id == "alpha" and placed.tag == order_tag("ord-1")
    assert (fill.price, fill.quantity, fill.remaining_quantity) == (Decimal("100.05"), 10, 0)
    assert fill.fill_id == "ord-1:1"
    assert fill.filled_at == tick("1").exchange_timestamp + timedelta(milliseconds=250)
    # 1000.50 turnover: brokerage 0.30, transaction 0.03, sebi 0.00, stamp 0.03 -> rupee 0
    assert fill.charges == Decimal("0.39")


def test_market_buy_walks_asks_one_fill_per_level_with_charges_summing_to_order(
    trader, signal, tick
):
    market = tick("100", asks=(("100.10", 4), ("100.20", 5), ("100.50", 100)))
    fills = fills_of(trader.execute(validated(signal(Side.BUY, 12)), market, "ord-2"))
    assert [(f.quantity, f.price, f.remaining_quantity) for f in fills] == [
        (4, Decimal("100.10"), 8),
        (5, Decimal("100.20"), 3),
        (3, Decimal("100.50"), 0),
    ]
    turnover = sum(f.quantity * f.price for f in fills)
    expected = ChargeSchedule().charges(Side.BUY, turnover, Product.INTRADAY).total
    assert sum(f.charges for f in fills) == expected


def test_market_sell_with_insufficient_bids_fills_partially_and_cancels_the_rest(
    trader, signal, tick
):
    market = tick("100", bids=(("99.95", 3), ("99.90", 2)))
    events = trader.execute(validated(signal(Side.SELL, 8)), market, "ord-3")
    assert [(f.quantity, f.price) for f in fills_of(events)] == [
        (3, Decimal("99.95")),
        (2, Decimal("99.90")),
    ]
    failed = events[-1]
    assert isinstance(failed, OrderFailed) and failed.quantity == 3


def test_insufficient_depth_without_partial_fills_fails_the_whole_order(signal, tick):
    trader = PaperTrader(PaperTraderConfig(allow_partial_fills=False))
    market = tick("100", bids=(("99.95", 3),))
    _, failed = trader.execute(validated(signal(Side.SELL, 8)), market, "ord-4")
    assert isinstance(failed, OrderFailed) and failed.quantity == 8
    assert "partial fills are off" in failed.reason


def test_slippage_moves_buys_up_and_sells_down_to_the_tick_size(signal, tick):
    trader = PaperTrader(PaperTraderConfig(slippage_bps=Decimal(10)))
    [buy] = fills_of(trader.execute(validated(signal(Side.BUY, 1)), tick("100"), "b"))
    [sell] = fills_of(trader.execute(validated(signal(Side.SELL, 1)), tick("100"), "s"))
    assert (buy.price, sell.price) == (Decimal("100.10"), Decimal("99.90"))


def test_limit_buy_takes_only_asks_at_or_below_the_limit(trader, signal, tick):
    market = tick("100", asks=(("100.10", 4), ("100.20", 5)))
    order = signal(Side.BUY, 6, order_type=OrderType.LIMIT, limit_price="100.15")
    events = trader.execute(validated(order), market, "ord-5")
    assert [(f.quantity, f.price) for f in fills_of(events)] == [(4, Decimal("100.10"))]
    assert events[-1].quantity == 2


def test_limit_buy_below_the_market_does_not_cross_and_fails(trader, signal, tick):
    order = signal(Side.BUY, 6, order_type=OrderType.LIMIT, limit_price="99.50")
    _, failed = trader.execute(validated(order), tick("100"), "ord-6")
    assert isinstance(failed, OrderFailed)
    assert failed.reason == "limit 99.50 does not cross the market at 100"


def test_missing_market_data_fails_the_order(trader, signal, tick):
    _, failed = trader.execute(validated(signal()), None, "ord-7")
    assert isinstance(failed, OrderFailed) and failed.reason == "no market data"
    _, failed = trader.execute(validated(signal()), tick("100", token=1), "ord-8")
    assert failed.reason == "no market data"


def test_delivery_product_charges_delivery_rates(signal, tick):
    trader = PaperTrader(PaperTraderConfig(product=Product.DELIVERY))
    [fill] = fills_of(trader.execute(validated(signal(Side.BUY, 10, "2500")), tick("2500"), "d"))
    assert fill.charges == Decimal("29.91")


def test_market_buy_with_depth_but_no_sellers_fails_instead_of_using_last_price(
    trader, signal, tick
):
    locked = tick("120", bids=(("120", 5000),), asks=(("0", 0),))  # upper circuit
    _, failed = trader.execute(validated(signal(Side.BUY, 10)), locked, "ord-9")
    assert isinstance(failed, OrderFailed) and failed.reason == "no sellers in the depth"


# -- the fill is fixed by the decision ---------------------------------------------------


def test_redelivered_validated_signal_fills_the_same_whatever_tick_the_engine_holds(
    trader, signal, tick
):
    decided = tick("894.15", asks=(("894.15", 4), ("894.20", 100)))
    order = ValidatedSignal(
        signal=signal(Side.BUY, 10), checks_passed=("market_hours",), market=decided
    )
    first = trader.execute(order, tick("894.15", seconds=1), "ord-10")
    again = trader.execute(order, tick("893.00", seconds=40, asks=(("893.00", 50),)), "ord-10")
    assert again == first
    assert [(f.fill_id, f.quantity, f.price) for f in fills_of(first)] == [
        ("ord-10:1", 4, Decimal("894.15")),
        ("ord-10:2", 6, Decimal("894.20")),
    ]
    assert trader.execute(order, None, "ord-10") == first  # the engine lost its ticks


def test_risk_engine_puts_its_last_tick_in_the_validated_signal(trader, signal, tick):
    risk = RiskEngine(
        RiskEngineConfig(
            namespace=Namespace.PAPER,
            defaults=RiskLimits(market_hours=None),
            strategies={"alpha": RiskLimits()},
        )
    )
    risk.on_tick(tick("894.15", seconds=2))
    verdict = risk.evaluate(signal(Side.SELL, 5, "894", seconds=1))
    assert verdict.market == tick("894.15", seconds=2)
    redelivered = ValidatedSignal.model_validate_json(verdict.model_dump_json())
    [fill] = fills_of(trader.execute(redelivered, tick("893.00", seconds=9), "ord-11"))
    assert (fill.price, fill.quantity, fill.filled_at) == (
        Decimal("894.15"),
        5,
        tick("1", seconds=2).exchange_timestamp + timedelta(milliseconds=250),
    )


def test_fill_from_a_market_older_than_the_signal_is_stamped_after_the_signal(trader, signal, tick):
    order = ValidatedSignal(
        signal=signal(Side.BUY, 1, seconds=10), checks_passed=(), market=tick("100", seconds=3)
    )
    [fill] = fills_of(trader.execute(order, None, "ord-12"))
    assert fill.filled_at == tick("1", seconds=10).exchange_timestamp + timedelta(milliseconds=250)
