"""A position's direction is a named enum, not a bare sign."""

from __future__ import annotations

from decimal import Decimal

from alpha_panda.domain.portfolio.position import Direction, Position


def test_a_position_points_long_short_or_flat_as_its_fills_move_it():
    position = Position("alpha", 408065)
    assert position.direction is Direction.FLAT
    position.apply(10, Decimal("100"), Decimal(0))
    assert position.direction is Direction.LONG
    position.apply(-15, Decimal("101"), Decimal(0))
    assert position.direction is Direction.SHORT and position.quantity == -5
    assert position.realized_pnl == Decimal("10")
    restored = Position.from_dict(position.to_dict())
    assert restored.direction is Direction.SHORT and restored.open_cost == Decimal("-505")
