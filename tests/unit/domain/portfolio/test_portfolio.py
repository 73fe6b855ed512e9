import json
from decimal import Decimal

import pytest

from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.values import Namespace, OrderType, Side, ist_date
from tests.unit.domain.conftest import at

TOKEN = 408065
OTHER = 738561
DAY = 24 * 3600


@pytest.fixture
def portfolio():
    return Portfolio(
        PortfolioConfig(
            namespace=Namespace.PAPER,
            initial_cash=Decimal("100000"),
            margin_fraction=Decimal("0.2"),
        )
    )


def test_fifo_partial_close_realizes_against_oldest_lot_to_the_paisa(portfolio, fill):
    portfolio.apply_fill(fill(Side.BUY, 10, "100.05", seconds=0, charges="1.10"))
    portfolio.apply_fill(fill(Side.BUY, 10, "101.45", seconds=1, charges="1.20"))
    portfolio.apply_fill(fill(Side.SELL, 15, "102.30", seconds=2, charges="2.35"))
    # 10 x (102.30 - 100.05) + 5 x (102.30 - 101.45) = 22.50 + 4.25
    [view] = portfolio.open_positions()
    assert view.quantity == 5
    assert view.average_price == Decimal("101.4500")
    assert view.realized_pnl == Decimal("26.75")
    assert view.unrealized_pnl == Decimal("4.25")  # marked at the last fill until a tick
    summary = portfolio.strategy_summary("alpha")
    assert (summary.charges, summary.net_pnl) == (Decimal("4.65"), Decimal("26.35"))


def test_mark_moves_unrealized_pnl_exposure_and_margin(portfolio, fill, tick):
    portfolio.apply_fill(fill(Side.BUY, 7, "250.10"))
    portfolio.mark(tick("248.35", seconds=5))
    summary = portfolio.strategy_summary("alpha")
    assert summary.unrealized_pnl == Decimal("-12.25")  # 7 x -1.75
    assert summary.exposure == Decimal("1738.45")
    assert summary.margin_used == Decimal("347.69")  # 20 % of 1738.45


def test_short_position_profits_when_price_falls_and_flip_opens_a_long(portfolio, fill, tick):
    portfolio.apply_fill(fill(Side.SELL, 4, "500.00"))
    portfolio.mark(tick("495.50"))
    assert portfolio.strategy_summary("alpha").unrealized_pnl == Decimal("18.00")
    portfolio.apply_fill(fill(Side.BUY, 6, "496.00", seconds=1))
    [view] = portfolio.open_positions()
    assert (view.quantity, view.average_price) == (2, Decimal("496.0000"))
    assert view.realized_pnl == Decimal("16.00")


def test_applying_the_same_fill_twice_is_detected_and_books_once(portfolio, fill):
    booked = fill(Side.BUY, 10, "100", fill_id="order-1-1")
    assert portfolio.apply_fill(booked) is True
    assert portfolio.apply_fill(booked) is False
    assert portfolio.position("alpha", TOKEN) == 10
    assert portfolio.has_fill("order-1-1")


def test_namespace_summary_aggregates_strategies_with_cash_and_free_margin(portfolio, fill, tick):
    portfolio.apply_fill(fill(Side.BUY, 10, "100", charges="0.50", strategy_id="a"))
    portfolio.apply_fill(fill(Side.SELL, 10, "103", seconds=1, charges="0.60", strategy_id="a"))
    portfolio.apply_fill(fill(Side.BUY, 5, "2000", token=OTHER, charges="1.00", strategy_id="b"))
    portfolio.mark(tick("2010", seconds=2, token=OTHER))
    total = portfolio.namespace_summary()
    assert total.realized_pnl == Decimal("30")
    assert total.unrealized_pnl == Decimal("50")
    assert total.charges == Decimal("2.10")
    assert total.net_pnl == Decimal("77.90")
    assert total.cash == Decimal("100027.90")
    assert total.equity == Decimal("100077.90")
    assert total.margin_used == Decimal("2010.00")
    assert total.available_margin == Decimal("98067.90")
    assert portfolio.strategy_summary("a").unrealized_pnl == 0
    assert portfolio.strategy_ids() == ["a", "b"]


def test_snapshot_round_trip_through_json_restores_every_figure(portfolio, fill, tick):
    portfolio.apply_fill(fill(Side.BUY, 10, "100.05", charges="1.10", fill_id="f1"))
    portfolio.apply_fill(fill(Side.BUY, 10, "101.45", seconds=1, fill_id="f2"))
    portfolio.apply_fill(fill(Side.SELL, 15, "102.30", seconds=2, fill_id="f3"))
    portfolio.mark(tick("103.00", seconds=3))
    restored = Portfolio(portfolio.config)
    restored.restore(json.loads(json.dumps(portfolio.snapshot())))
    assert restored.namespace_summary() == portfolio.namespace_summary()
    assert restored.positions() == portfolio.positions()
    assert restored.apply_fill(fill(Side.SELL, 15, "102.30", seconds=2, fill_id="f3")) is False
    restored.mark(tick("104.00", seconds=4))
    assert restored.strategy_summary("alpha").unrealized_pnl == Decimal("12.75")


def test_restore_with_unknown_version_is_refused(portfolio):
    with pytest.raises(ValueError, match="version"):
        portfolio.restore({"version": 99, "positions": [], "fill_ids": []})


def test_fill_ids_are_kept_for_the_last_two_trading_days_only(portfolio, fill):
    day = 24 * 3600
    fills = [fill(Side.BUY, 1, "100", seconds=n * day, fill_id=f"day{n}") for n in range(3)]
    for booked in fills:
        portfolio.apply_fill(booked)
    assert not portfolio.has_fill("day0")  # two days on, its order can no longer fill
    assert portfolio.has_fill("day1") and portfolio.has_fill("day2")
    kept = [ist_date(booked.filled_at) for booked in fills[1:]]
    assert portfolio.snapshot()["fill_ids"] == {day: [f"day{n}"] for n, day in enumerate(kept, 1)}
    assert portfolio.apply_fill(fill(Side.BUY, 1, "100", seconds=day, fill_id="day1")) is False


def test_a_version_1_snapshot_still_loads_and_its_fill_ids_age_out(portfolio, fill):
    portfolio.restore({"version": 1, "positions": [], "fill_ids": ["old"]})
    assert portfolio.apply_fill(fill(Side.BUY, 1, "100", fill_id="old")) is False
    for n in (1, 2):
        portfolio.apply_fill(fill(Side.BUY, 1, "100", seconds=n * 24 * 3600, fill_id=f"day{n}"))
    assert not portfolio.has_fill("old")


def placed(strategy_id: str, seconds: float) -> OrderPlaced:
    return OrderPlaced(
        order_id=f"o-{seconds}",
        strategy_id=strategy_id,
        instrument_token=TOKEN,
        side=Side.BUY,
        quantity=1,
        order_type=OrderType.MARKET,
        tag="t",
        placed_at=at(seconds),
    )


def test_the_days_orders_fills_and_last_signal_are_counted_per_strategy(portfolio, fill, signal):
    portfolio.note_signal(signal(seconds=0))
    portfolio.note_signal(signal(seconds=9, strategy_id="beta"))
    portfolio.note_order(placed("alpha", 1))
    portfolio.note_order(placed("alpha", 2))
    portfolio.apply_fill(fill(Side.BUY, 1, "100", seconds=3))
    alpha, beta = (portfolio.strategy_summary(s) for s in ("alpha", "beta"))
    assert (alpha.orders_today, alpha.fills_today, alpha.last_signal_at) == (2, 1, at(0))
    assert (beta.orders_today, beta.fills_today, beta.last_signal_at) == (0, 0, at(9))
    assert portfolio.strategy_ids() == ["alpha", "beta"]  # beta signalled, never filled


def test_the_next_trading_day_starts_the_counts_anew_and_a_late_event_counts_nowhere(
    portfolio, fill, signal
):
    portfolio.note_order(placed("alpha", 0))
    portfolio.note_order(placed("alpha", DAY))
    portfolio.note_order(placed("alpha", 5))  # late, of the day before
    portfolio.apply_fill(fill(Side.BUY, 1, "100", seconds=DAY + 1))
    summary = portfolio.strategy_summary("alpha")
    assert (summary.orders_today, summary.fills_today) == (1, 1)
    assert summary.fills == 1


def test_the_days_activity_survives_a_snapshot_and_an_older_snapshot_loads(portfolio, signal):
    portfolio.note_signal(signal(seconds=4))
    portfolio.note_order(placed("alpha", 5))
    restored = Portfolio(portfolio.config)
    restored.restore(json.loads(json.dumps(portfolio.snapshot())))
    summary = restored.strategy_summary("alpha")
    assert (summary.orders_today, summary.last_signal_at) == (1, at(4))
    older = {**portfolio.snapshot(), "version": 2}
    del older["activity"]
    restored.restore(older)
    assert restored.strategy_summary("alpha").orders_today == 0
