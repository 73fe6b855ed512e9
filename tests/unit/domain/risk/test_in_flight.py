import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from alpha_panda.domain.orders import OrderFailed, OrderFilled
from alpha_panda.domain.risk import RiskEngine, RiskEngineConfig, RiskLimits
from alpha_panda.domain.signals import RejectedSignal, ValidatedSignal
from alpha_panda.domain.values import Namespace, OrderType, Side
from tests.unit.domain.conftest import at, make_signal, make_tick

TOKEN = 408065
OTHER = 738561


def engine_with(timeout=900, **limits):
    config = RiskEngineConfig(
        namespace=Namespace.PAPER,
        defaults=RiskLimits(**({"market_hours": None} | limits)),
        strategies={"alpha": RiskLimits()},
        orders_per_second=None,
        in_flight_timeout_seconds=timeout,
        max_signal_age_seconds=None,
    )
    return RiskEngine(config)


def fill_of(order_id, side, quantity, remaining=0, price="100", seconds=1, token=TOKEN, number=1):
    return OrderFilled(
        order_id=order_id,
        fill_id=f"{order_id}:{number}",
        strategy_id="alpha",
        instrument_token=token,
        side=side,
        quantity=quantity,
        price=Decimal(price),
        remaining_quantity=remaining,
        filled_at=at(seconds),
    )


def failure_of(order_id, side, quantity, seconds=1, token=TOKEN):
    return OrderFailed(
        order_id=order_id,
        strategy_id="alpha",
        instrument_token=token,
        side=side,
        quantity=quantity,
        reason="rejected by the exchange",
        failed_at=at(seconds),
    )


def rule_of(verdict):
    return verdict.rule if isinstance(verdict, RejectedSignal) else "validated"


# -- counting ----------------------------------------------------------------------------


def test_unfilled_validated_buy_counts_against_the_position_limit_until_filled():
    engine = engine_with(max_position_quantity=15)
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 10))) == "validated"
    assert engine.in_flight("alpha", TOKEN) == (10, 0)
    refused = engine.evaluate(make_signal(Side.BUY, 10, seconds=1))
    assert rule_of(refused) == "max_position_quantity"
    assert "in flight" in refused.reason
    engine.on_fill(fill_of("o1", Side.BUY, 10, seconds=2))
    assert (engine.position("alpha", TOKEN), engine.in_flight("alpha", TOKEN)) == (10, (0, 0))
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 6, seconds=3))) == "max_position_quantity"
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 5, seconds=3))) == "validated"


def test_partial_fills_release_their_part_and_a_cancelled_remainder_releases_the_rest():
    engine = engine_with(max_position_quantity=10)
    engine.evaluate(make_signal(Side.BUY, 10))
    engine.on_fill(fill_of("o1", Side.BUY, 4, remaining=6))
    assert (engine.position("alpha", TOKEN), engine.in_flight("alpha", TOKEN)) == (4, (6, 0))
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 1, seconds=2))) == "max_position_quantity"
    engine.on_order_failed(failure_of("o1", Side.BUY, 6, seconds=2))
    assert engine.in_flight("alpha", TOKEN) == (0, 0)
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 6, seconds=3))) == "validated"


def test_failed_order_releases_its_quantity_and_a_repeated_failure_releases_no_other_order():
    engine = engine_with(max_position_quantity=20)
    engine.evaluate(make_signal(Side.BUY, 10))
    engine.evaluate(make_signal(Side.BUY, 10, seconds=1))
    engine.on_order_failed(failure_of("o1", Side.BUY, 10, seconds=2))
    assert engine.in_flight("alpha", TOKEN) == (10, 0)
    engine.on_order_failed(failure_of("o1", Side.BUY, 10, seconds=3))  # a redelivery
    assert engine.in_flight("alpha", TOKEN) == (10, 0)


def test_repeated_fill_id_releases_nothing_twice():
    engine = engine_with(max_position_quantity=20)
    engine.evaluate(make_signal(Side.BUY, 10))
    engine.evaluate(make_signal(Side.BUY, 10, seconds=1))
    first = fill_of("o1", Side.BUY, 4, remaining=6)
    engine.on_fill(first)
    engine.on_fill(first)
    assert (engine.position("alpha", TOKEN), engine.in_flight("alpha", TOKEN)) == (4, (16, 0))


def test_report_binds_to_the_in_flight_order_of_the_same_total_quantity():
    engine = engine_with()
    engine.evaluate(make_signal(Side.BUY, 10))
    engine.evaluate(make_signal(Side.BUY, 3, seconds=1))
    engine.on_fill(fill_of("second", Side.BUY, 3, seconds=2))  # the 3 is reported first
    engine.on_fill(fill_of("first", Side.BUY, 4, remaining=6, seconds=3))
    assert engine.in_flight("alpha", TOKEN) == (6, 0)


def test_unreported_order_counts_until_the_timeout_then_is_released():
    engine = engine_with(timeout=60, max_position_quantity=10)
    engine.evaluate(make_signal(Side.BUY, 10))
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 1, seconds=59))) == "max_position_quantity"
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 1, seconds=60))) == "validated"
    assert engine.in_flight("alpha", TOKEN) == (1, 0)


def test_timeout_is_measured_against_the_given_now():
    engine = engine_with(timeout=60, max_position_quantity=10)
    engine.evaluate(make_signal(Side.BUY, 10), now=at(5))
    late = engine.evaluate(make_signal(Side.BUY, 1, seconds=30), now=at(64))
    assert rule_of(late) == "max_position_quantity"
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 1, seconds=31), now=at(65))) == "validated"


def test_in_flight_sell_cannot_be_repeated_into_a_short_beyond_the_limit():
    engine = engine_with(max_position_quantity=5)
    engine.on_fill(fill_of("held", Side.BUY, 10, seconds=0))
    assert rule_of(engine.evaluate(make_signal(Side.SELL, 10, seconds=1))) == "validated"
    # The first sell already gets out; a second would leave a short of 10 should both fill.
    assert (
        rule_of(engine.evaluate(make_signal(Side.SELL, 10, seconds=2))) == "max_position_quantity"
    )
    assert rule_of(engine.evaluate(make_signal(Side.SELL, 5, seconds=3))) == "validated"


def test_in_flight_quantity_counts_against_notional_and_strategy_limits():
    engine = engine_with(max_position_notional=Decimal(1500), max_strategy_quantity=25)
    engine.evaluate(make_signal(Side.BUY, 10, "100"))
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 6, "100", seconds=1))) == (
        "max_position_notional"
    )
    engine.evaluate(make_signal(Side.SELL, 10, "50", token=OTHER, seconds=2))
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 5, "100", seconds=3))) == "validated"
    assert rule_of(engine.evaluate(make_signal(Side.SELL, 6, "50", token=OTHER, seconds=4))) == (
        "max_strategy_quantity"
    )


def test_in_flight_order_marked_to_the_last_price_counts_against_the_daily_loss_limit():
    engine = engine_with(max_daily_loss=Decimal(500))
    limit_buy = make_signal(Side.BUY, 100, order_type=OrderType.LIMIT, limit_price="100")
    assert rule_of(engine.evaluate(limit_buy)) == "validated"
    engine.on_tick(make_tick("94.99", seconds=1))  # -501 once it fills at 100
    refused = engine.evaluate(make_signal(Side.BUY, 1, "95", token=OTHER, seconds=2))
    assert rule_of(refused) == "max_daily_loss"
    assert engine.daily_pnl("alpha") == 0


def test_orders_per_day_counts_orders_in_flight_and_failed_ones_too():
    engine = engine_with(max_orders_per_day=2)
    engine.evaluate(make_signal(Side.BUY, 1))
    engine.evaluate(make_signal(Side.BUY, 1, seconds=1))
    engine.on_order_failed(failure_of("o1", Side.BUY, 1, seconds=2))
    assert rule_of(engine.evaluate(make_signal(Side.BUY, 1, seconds=3))) == "max_orders_per_day"


def test_square_off_orders_count_in_flight_until_filled():
    engine = engine_with()
    engine.on_fill(fill_of("held", Side.BUY, 10, seconds=0))
    [closing] = engine.halt("end of day", square_off=True, at=at(5))
    assert engine.in_flight("alpha", TOKEN) == (0, 10)
    engine.on_fill(fill_of("close", Side.SELL, 10, seconds=6))
    assert (engine.position("alpha", TOKEN), engine.in_flight("alpha", TOKEN)) == (0, (0, 0))
    assert closing.signal.quantity == 10


# -- persistence -------------------------------------------------------------------------


def test_orders_in_flight_and_last_ticks_survive_a_snapshot_round_trip_through_json():
    engine = engine_with(max_position_quantity=10)
    market = make_tick("100", bids=(("99.95", 7),), asks=(("100.05", 3), ("100.10", 9)))
    engine.on_tick(market)
    engine.evaluate(make_signal(Side.BUY, 10))
    engine.on_fill(fill_of("o1", Side.BUY, 4, remaining=6))
    restored = engine_with(max_position_quantity=10)
    restored.restore(json.loads(json.dumps(engine.snapshot())))
    assert restored.snapshot() == engine.snapshot()
    assert rule_of(restored.evaluate(make_signal(Side.BUY, 1, seconds=2))) == (
        "max_position_quantity"
    )
    restored.on_fill(fill_of("o1", Side.BUY, 6, seconds=3, number=2))
    assert (restored.position("alpha", TOKEN), restored.in_flight("alpha", TOKEN)) == (10, (0, 0))
    assert restored.evaluate(make_signal(Side.SELL, 1, seconds=4)).market == market


def test_version_one_snapshot_loads_with_nothing_in_flight():
    engine = engine_with(max_position_quantity=10)
    engine.on_fill(fill_of("o1", Side.BUY, 4))
    engine.evaluate(make_signal(Side.BUY, 3, seconds=2))
    old = engine.snapshot()
    for key in ("in_flight", "definitions", "last_ticks"):
        del old[key]
    old["version"] = 1
    restored = engine_with(max_position_quantity=10)
    restored.restore(old)
    assert (restored.position("alpha", TOKEN), restored.in_flight("alpha", TOKEN)) == (4, (0, 0))
    assert rule_of(restored.evaluate(make_signal(Side.BUY, 6, seconds=3))) == "validated"


# -- a lagging fill stream ---------------------------------------------------------------


def test_backlog_of_signals_with_no_fills_yet_validates_only_up_to_the_limit():
    """The fault run: every signal judged while fills lagged minutes behind."""
    engine = engine_with(max_position_quantity=50, max_position_notional=Decimal(5000))
    verdicts = [engine.evaluate(make_signal(Side.BUY, 10, seconds=i)) for i in range(40)]
    validated = [v for v in verdicts if isinstance(v, ValidatedSignal)]
    assert len(validated) == 5
    for number in range(1, len(validated) + 1):
        engine.on_fill(fill_of(f"o{number}", Side.BUY, 10, seconds=100 + number))
    assert engine.position("alpha", TOKEN) == 50


deliveries = st.lists(
    st.tuples(
        st.sampled_from(["signal", "fill", "partial", "fail"]),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=0, max_value=10),
    ),
    min_size=1,
    max_size=80,
)
"""Steps of a session: a signal, or a report (whole fill, part fill, failure) of an order
picked among those still open."""


def play(engine, steps, tokens):
    """Judge the signals and deliver the reports of `steps` (a signal's instrument picked
    from `tokens`); after every step, yield the open orders [id, side, token, left, fills]."""
    open_orders = []
    for step, (kind, side, quantity, pick) in enumerate(steps):
        if kind == "signal" or not open_orders:
            token = tokens[pick % len(tokens)]
            verdict = engine.evaluate(make_signal(side, quantity, token=token, seconds=step))
            if isinstance(verdict, ValidatedSignal):
                open_orders.append([f"order-{step}", side, token, quantity, 0])
        elif kind == "fail":
            order = open_orders.pop(pick % len(open_orders))
            order_id, order_side, token, left, _ = order
            engine.on_order_failed(failure_of(order_id, order_side, left, step, token))
        else:
            order = open_orders[pick % len(open_orders)]
            order_id, order_side, token, left, fills = order
            part = left if kind == "fill" else max(1, left // 2)
            order[3], order[4] = left - part, fills + 1
            fill = fill_of(order_id, order_side, part, left - part, "100", step, token, fills + 1)
            engine.on_fill(fill)
            if not order[3]:
                open_orders.remove(order)
        yield open_orders


@settings(max_examples=300, deadline=None)
@given(steps=deliveries)
def test_lagging_fills_never_push_a_position_past_its_limit(steps):
    """Signals arrive while fills and failures of earlier orders lag at random, in any order
    and in parts: the position from fills never leaves the limit, nor would it were every
    order in flight to fill, and what is in flight is exactly what the open orders hold."""
    engine = engine_with(max_position_quantity=50)
    for open_orders in play(engine, steps, [TOKEN]):
        held = engine.position("alpha", TOKEN)
        bought, sold = engine.in_flight("alpha", TOKEN)
        assert abs(held) <= 50
        assert held + bought <= 50 and held - sold >= -50
        assert (bought, sold) == (
            sum(left for _, side, _, left, _ in open_orders if side is Side.BUY),
            sum(left for _, side, _, left, _ in open_orders if side is Side.SELL),
        )


@settings(max_examples=300, deadline=None)
@given(steps=deliveries)
def test_lagging_fills_never_push_a_strategy_past_its_gross_limit(steps):
    """The same over two instruments: neither holding leaves the instrument limit and their
    sum never leaves the strategy limit."""
    engine = engine_with(max_position_quantity=50, max_strategy_quantity=70)
    for _ in play(engine, steps, [TOKEN, OTHER]):
        held = [abs(engine.position("alpha", token)) for token in (TOKEN, OTHER)]
        assert max(held) <= 50 and sum(held) <= 70
