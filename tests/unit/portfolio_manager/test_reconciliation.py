"""Our positions against Kite's net positions, instrument by instrument."""

from __future__ import annotations

from decimal import Decimal

from alpha_panda.domain.portfolio.summary import PositionView
from alpha_panda.portfolio_manager.reconciliation import PositionDifference, position_differences


def test_positions_differ_by_instrument_summed_over_strategies_and_products() -> None:
    def ours(strategy: str, token: int, quantity: int) -> PositionView:
        zero = Decimal(0)
        return PositionView(
            strategy_id=strategy,
            instrument_token=token,
            quantity=quantity,
            average_price=zero,
            last_price=zero,
            realized_pnl=zero,
            unrealized_pnl=zero,
            charges=zero,
        )

    kite = [
        {"instrument_token": 1, "tradingsymbol": "A", "quantity": 5, "product": "MIS"},
        {"instrument_token": 1, "tradingsymbol": "A", "quantity": 5, "product": "CNC"},
        {"instrument_token": 2, "tradingsymbol": "B", "quantity": -3, "product": "MIS"},
    ]
    assert position_differences([ours("x", 1, 4), ours("y", 1, 6), ours("x", 3, 0)], kite) == [
        PositionDifference(instrument_token=2, tradingsymbol="B", ours=0, kite=-3)
    ]
