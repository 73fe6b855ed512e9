"""A strategy's status figures come from the portfolio cache's summary and positions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from alpha_panda.domain.portfolio.summary import PositionView, StrategySummary
from alpha_panda_operator.live_figures import figures_changed, trading_figures

NOW = datetime(2026, 12, 7, 5, 0, 1, 500_000, tzinfo=UTC)
SUMMARY = StrategySummary(
    strategy_id="momo",
    realized_pnl=Decimal("100.005"),
    unrealized_pnl=Decimal("-40.004"),
    gross_pnl=Decimal("60.001"),
    charges=Decimal("12.5"),
    net_pnl=Decimal("47.501"),
    exposure=Decimal("5000"),
    margin_used=Decimal("1000"),
    fills=3,
    orders_today=4,
    fills_today=3,
    last_signal_at=datetime(2026, 12, 7, 4, 59, 58, tzinfo=UTC),
)


def position(strategy_id: str, token: int, quantity: int) -> PositionView:
    return PositionView(
        strategy_id=strategy_id,
        instrument_token=token,
        quantity=quantity,
        average_price=Decimal("250.1234"),
        last_price=Decimal("246.1"),
        realized_pnl=Decimal("0"),
        unrealized_pnl=Decimal("-40.004"),
        charges=Decimal("0"),
    )


def test_figures_are_rounded_to_paise_and_keep_only_the_strategys_open_positions():
    positions = [position("momo", 738561, 10), position("momo", 408065, 0), position("other", 1, 5)]
    figures = trading_figures(SUMMARY, positions, NOW)
    assert figures == {
        "realizedPnl": "100.01",
        "unrealizedPnl": "-40.00",
        "charges": "12.50",
        "netPnl": "47.50",
        "fills": 3,
        "ordersToday": 4,
        "fillsToday": 3,
        "lastSignalAt": "2026-12-07T04:59:58Z",
        "positions": [
            {
                "instrumentToken": 738561,
                "quantity": 10,
                "averagePrice": "250.1234",
                "lastPrice": "246.1",
                "unrealizedPnl": "-40.00",
            }
        ],
        "updatedAt": "2026-12-07T05:00:01Z",
    }


def test_only_changed_figures_are_written_again():
    first = trading_figures(SUMMARY, [], NOW)
    later = trading_figures(SUMMARY, [], NOW.replace(minute=5))
    assert not figures_changed(first, later)
    moved = trading_figures(SUMMARY.model_copy(update={"fills": 4}), [], NOW)
    assert figures_changed(first, moved)
    assert figures_changed(None, first)
