import json
from decimal import Decimal

import pytest

from alpha_panda.domain.risk import MarketHours, RiskEngine, RiskEngineConfig, RiskLimits
from alpha_panda.domain.signals import RejectedSignal, ValidatedSignal
from alpha_panda.domain.values import Namespace, OrderType, Side

TOKEN = 408065
OTHER = 738561
NO_HOURS = RiskLimits(market_hours=None)
KNOWN = {strategy_id: RiskLimits() for strategy_id in ("alpha", "beta", "gamma")}
"""Strategies known from the configuration, under the defaults' limits."""


def engine_with(**limits):
    config = RiskEngineConfig(
        namespace=Namespace.PAPER,
        defaults=RiskLimits(**({"market_hours": None} | limits)),
        strategies=KNOWN,
        orders_per_second=None,
    )
    return RiskEngine(config)


def assert_rejected_by(verdict, rule):
    assert isinstance(verdict, RejectedSignal), verdict
    assert verdict.rule == rule
    assert verdict.reason


def assert_validated(verdict):
    assert isinstance(verdict, ValidatedSignal), verdict


# -- position quantity -------------------------------------------------------------------


def test_position_quantity_above_limit_after_fills_rejects(signal, fill):
    engine = engine_with(max_position_quantity=15)
    engine.on_fill(fill(Side.BUY, 10, "100"))
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 6)), "max_position_quantity")


def test_position_quantity_at_limit_validates_and_lists_the_check(signal, fill):
    engine = engine_with(max_position_quantity=15)
    engine.on_fill(fill(Side.BUY, 10, "100"))
    verdict = engine.evaluate(signal(Side.BUY, 5))
    assert_validated(verdict)
    assert "max_position_quantity" in verdict.checks_passed
    assert verdict.signal == signal(Side.BUY, 5)


def test_position_quantity_over_limit_still_allows_reducing(signal, fill):
    engine = engine_with(max_position_quantity=5)
    engine.on_fill(fill(Side.BUY, 10, "100"))
    assert_validated(engine.evaluate(signal(Side.SELL, 4)))


# -- position notional -------------------------------------------------------------------


def test_position_notional_above_limit_rejects(signal):
    engine = engine_with(max_position_notional=Decimal("999.99"))
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 10, "100")), "max_position_notional")


def test_position_notional_within_limit_validates(signal):
    engine = engine_with(max_position_notional=Decimal("1000"))
    assert_validated(engine.evaluate(signal(Side.BUY, 10, "100")))


# -- strategy totals ---------------------------------------------------------------------


def test_strategy_quantity_across_instruments_above_limit_rejects(signal, fill):
    engine = engine_with(max_strategy_quantity=20)
    engine.on_fill(fill(Side.SELL, 15, "50", token=OTHER))
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 6)), "max_strategy_quantity")


def test_strategy_quantity_of_another_strategy_does_not_count(signal, fill):
    engine = engine_with(max_strategy_quantity=20)
    engine.on_fill(fill(Side.SELL, 15, "50", token=OTHER, strategy_id="beta"))
    assert_validated(engine.evaluate(signal(Side.BUY, 6)))


def test_strategy_notional_uses_last_prices_of_other_holdings(signal, fill, tick):
    engine = engine_with(max_strategy_notional=Decimal("2000"))
    engine.on_fill(fill(Side.BUY, 10, "100", token=OTHER))
    engine.on_tick(tick("110", token=OTHER))
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 10, "100")), "max_strategy_notional")
    assert_validated(engine.evaluate(signal(Side.BUY, 9, "100")))  # 1100 + 900


# -- daily loss --------------------------------------------------------------------------


def test_daily_loss_from_mark_to_market_halts_strategy_for_the_day(signal, fill, tick):
    engine = engine_with(max_daily_loss=Decimal("500"))
    engine.on_fill(fill(Side.BUY, 100, "100", charges="20"))
    engine.on_tick(tick("95.20", seconds=1))  # -480 unrealized, -20 charges
    assert engine.daily_pnl("alpha") == Decimal("-500")
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 1, seconds=2)), "max_daily_loss")
    engine.on_tick(tick("99", seconds=3))  # recovering does not lift the halt
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 1, seconds=4)), "max_daily_loss")
    assert engine.halted("alpha") == "daily loss limit reached"
    assert_validated(engine.evaluate(signal(Side.SELL, 100, "99", seconds=5)))


def test_daily_loss_below_limit_validates_and_resets_next_trading_day(signal, fill, tick):
    engine = engine_with(max_daily_loss=Decimal("500"))
    engine.on_fill(fill(Side.BUY, 100, "100"))
    engine.on_tick(tick("95.01", seconds=1))
    assert_validated(engine.evaluate(signal(Side.BUY, 1, seconds=2)))
    engine.on_tick(tick("90", seconds=3))
    assert_rejected_by(engine.evaluate(signal(Side.BUY, 1, seconds=4)), "max_daily_loss")
    next_day = 24 * 3600
    engine.on_tick(tick("90", seconds=next_day))
    assert engine.daily_pnl("alpha") == 0
    assert_validated(engine.evaluate(signal(Side.BUY, 1, seconds=next_day + 1)))


# -- orders per day ----------------------------------------------------------------------


def test_orders_per_day_beyond_limit_rejects_until_the_next_ist_day(signal):
    engine = engine_with(max_orders_per_day=2)
    assert_validated(engine.evaluate(signal(seconds=0)))
    assert_validated(engine.evaluate(signal(seconds=1)))
    assert_rejected_by(engine.evaluate(signal(seconds=2)), "max_orders_per_day")
    # 10:00 IST + 14 h = 00:00 IST the next day
    assert_validated(engine.evaluate(signal(seconds=14 * 3600)))


def test_rejected_signals_do_not_count_as_orders(signal):
    engine = engine_with(max_orders_per_day=1, max_position_quantity=5)
    assert_rejected_by(engine.evaluate(signal(quantity=6)), "max_position_quantity")
    assert_validated(engine.evaluate(signal(quantity=5)))


# -- order rate --------------------------------------------------------------------------


def test_order_rate_above_ten_per_second_rejects_the_eleventh(signal):
    engine = RiskEngine(
        RiskEngineConfig(namespace=Namespace.PAPER, defaults=NO_HOURS, strategies=KNOWN)
    )
    verdicts = [engine.evaluate(signal(seconds=index * 0.001)) for index in range(11)]
    for verdict in verdicts[:10]:
        assert_validated(verdict)
        assert "order_rate" in verdict.checks_passed
    assert_rejected_by(verdicts[10], "order_rate")


def test_order_rate_refills_with_exchange_time(signal):
    engine = RiskEngine(
        RiskEngineConfig(
            namespace=Namespace.PAPER, defaults=NO_HOURS, strategies=KNOWN, order_burst=1
        )
    )
    assert_validated(engine.evaluate(signal(seconds=0)))
    assert_rejected_by(engine.evaluate(signal(seconds=0.05)), "order_rate")
    assert_validated(engine.evaluate(signal(seconds=0.15)))


# -- price band --------------------------------------------------------------------------


def test_price_band_limit_price_too_far_from_last_price_rejects(signal, tick):
    engine = engine_with(price_band_percent=Decimal("2"))
    engine.on_tick(tick("100"))
    far = signal(Side.BUY, 1, "100", order_type=OrderType.LIMIT, limit_price="102.05")
    assert_rejected_by(engine.evaluate(far), "price_band")


def test_price_band_reference_price_within_band_validates(signal, tick):
    engine = engine_with(price_band_percent=Decimal("2"))
    engine.on_tick(tick("100"))
    assert_validated(engine.evaluate(signal(Side.BUY, 1, "102")))


def test_price_band_without_any_last_price_rejects(signal):
    engine = engine_with(price_band_percent=Decimal("2"))
    assert_rejected_by(engine.evaluate(signal()), "price_band")


# -- market hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds",
    [-2701, 5.5 * 3600, 5 * 86400 + 3600],
    ids=["09:14:59", "15:30:00", "saturday-11:00"],
)
def test_market_hours_outside_session_rejects(signal, seconds):
    engine = RiskEngine(
        RiskEngineConfig(namespace=Namespace.PAPER, strategies=KNOWN, orders_per_second=None)
    )
    assert_rejected_by(engine.evaluate(signal(seconds=seconds)), "market_hours")


@pytest.mark.parametrize("seconds", [-2700, 5.5 * 3600 - 1], ids=["09:15:00", "15:29:59"])
def test_market_hours_inside_session_validates(signal, seconds):
    engine = RiskEngine(
        RiskEngineConfig(namespace=Namespace.PAPER, strategies=KNOWN, orders_per_second=None)
    )
    assert_validated(engine.evaluate(signal(seconds=seconds)))


def test_market_hours_on_a_configured_holiday_rejects(signal, moment):
    hours = MarketHours(holidays=frozenset({moment(0).date()}))
    engine = engine_with(market_hours=hours)
    assert_rejected_by(engine.evaluate(signal()), "market_hours")


# -- kill switch -------------------------------------------------------------------------


def test_kill_switch_on_a_strategy_rejects_it_but_not_others(signal):
    engine = engine_with()
    engine.halt("operator request", strategy_id="alpha")
    assert_rejected_by(engine.evaluate(signal()), "kill_switch")
    assert_validated(engine.evaluate(signal(strategy_id="beta")))
    engine.resume("alpha")
    assert_validated(engine.evaluate(signal(seconds=1)))


def test_kill_switch_on_namespace_with_square_off_returns_closing_signals(signal, fill, tick):
    engine = engine_with()
    engine.on_fill(fill(Side.BUY, 10, "100"))
    engine.on_fill(fill(Side.SELL, 3, "50", token=OTHER, strategy_id="beta"))
    engine.on_tick(tick("101.5", seconds=5))
    closing = engine.halt("broker token expired", square_off=True)
    assert [
        (v.signal.strategy_id, v.signal.instrument_token, v.signal.side, v.signal.quantity)
        for v in closing
    ] == [("alpha", TOKEN, Side.SELL, 10), ("beta", OTHER, Side.BUY, 3)]
    assert closing[0].signal.reference_price == Decimal("101.5")
    assert closing[0].signal.generated_at == tick("1", seconds=5).exchange_timestamp
    assert_rejected_by(engine.evaluate(signal(strategy_id="beta", seconds=6)), "kill_switch")


# -- configuration and persistence -------------------------------------------------------


def test_strategy_override_replaces_only_the_fields_it_sets(signal):
    config = RiskEngineConfig(
        namespace=Namespace.ZERODHA,
        defaults=RiskLimits(max_position_quantity=100, max_orders_per_day=1),
        strategies={
            "alpha": RiskLimits(max_position_quantity=10, market_hours=None),
            "beta": RiskLimits(),
        },
        orders_per_second=None,
    )
    engine = RiskEngine(config)
    evening = 6 * 3600  # 16:00 IST: alpha's override turns the session rule off
    assert_rejected_by(
        engine.evaluate(signal(quantity=11, seconds=evening)), "max_position_quantity"
    )
    assert_validated(engine.evaluate(signal(quantity=10, seconds=evening)))
    assert_rejected_by(engine.evaluate(signal(quantity=1, seconds=evening)), "max_orders_per_day")
    assert_rejected_by(engine.evaluate(signal(strategy_id="beta", seconds=evening)), "market_hours")


def test_snapshot_round_trip_through_json_keeps_counts_halts_positions_and_tokens(
    signal, fill, tick
):
    config = RiskEngineConfig(
        namespace=Namespace.PAPER,
        defaults=RiskLimits(market_hours=None, max_orders_per_day=3, max_daily_loss=Decimal(50)),
        strategies=KNOWN,
        order_burst=2,
    )
    engine = RiskEngine(config)
    engine.on_fill(fill(Side.BUY, 10, "100"))
    engine.on_tick(tick("96", seconds=1))
    assert_validated(engine.evaluate(signal(Side.SELL, 1, seconds=2)))
    engine.halt("maintenance", strategy_id="beta")
    restored = RiskEngine(config)
    restored.restore(json.loads(json.dumps(engine.snapshot())))
    assert restored.snapshot() == engine.snapshot()
    assert restored.position("alpha", TOKEN) == 10
    assert restored.daily_pnl("alpha") == Decimal("-40")
    assert_rejected_by(restored.evaluate(signal(strategy_id="beta", seconds=2)), "kill_switch")
    assert_validated(restored.evaluate(signal(Side.SELL, 1, seconds=2)))
    assert_rejected_by(restored.evaluate(signal(Side.SELL, 1, seconds=2)), "order_rate")
    assert_validated(restored.evaluate(signal(Side.SELL, 1, seconds=3)))
    assert_rejected_by(restored.evaluate(signal(Side.SELL, 1, seconds=4)), "max_orders_per_day")


# -- namespace daily loss ----------------------------------------------------------------


def namespace_loss_engine(limit):
    return RiskEngine(
        RiskEngineConfig(
            namespace=Namespace.PAPER,
            defaults=NO_HOURS,
            namespace_max_daily_loss=Decimal(limit),
            strategies=KNOWN,
            orders_per_second=None,
        )
    )


def test_namespace_daily_loss_summed_over_strategies_halts_every_strategy(signal, fill, tick):
    engine = namespace_loss_engine("300")
    engine.on_fill(fill(Side.BUY, 100, "100", strategy_id="alpha"))
    engine.on_fill(fill(Side.BUY, 100, "100", strategy_id="beta"))
    engine.on_tick(tick("98.50", seconds=1))  # -150 each
    assert_rejected_by(engine.evaluate(signal(strategy_id="gamma")), "namespace_max_daily_loss")
    assert engine.halted("alpha") == "namespace daily loss limit reached"


def test_namespace_daily_loss_below_limit_validates(signal, fill, tick):
    engine = namespace_loss_engine("300")
    engine.on_fill(fill(Side.BUY, 100, "100", strategy_id="alpha"))
    engine.on_fill(fill(Side.BUY, 100, "100", strategy_id="beta"))
    engine.on_tick(tick("98.55", seconds=1))  # -145 each
    verdict = engine.evaluate(signal(strategy_id="gamma"))
    assert_validated(verdict)
    assert "namespace_max_daily_loss" in verdict.checks_passed


def test_order_rate_with_an_earlier_exchange_time_refills_nothing(signal):
    engine = RiskEngine(
        RiskEngineConfig(
            namespace=Namespace.PAPER, defaults=NO_HOURS, strategies=KNOWN, order_burst=1
        )
    )
    assert_validated(engine.evaluate(signal(seconds=10)))
    # A signal stamped earlier (another instrument's tick arriving late) must not mint tokens.
    assert_rejected_by(engine.evaluate(signal(seconds=5)), "order_rate")
    assert_validated(engine.evaluate(signal(seconds=10.1)))
