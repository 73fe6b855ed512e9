from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from alpha_panda.domain.portfolio.position import Position

fills = st.lists(
    st.tuples(
        st.integers(min_value=-500, max_value=500).filter(bool),
        st.integers(min_value=1, max_value=400_000).map(lambda paise: Decimal(paise) / 100),
    ),
    min_size=1,
    max_size=40,
)
marks = st.integers(min_value=1, max_value=400_000).map(lambda paise: Decimal(paise) / 100)


@settings(max_examples=150, deadline=None)
@given(fills=fills, mark=marks)
def test_fifo_gross_pnl_always_equals_cash_flow_plus_marked_holding(fills, mark):
    position = Position("alpha", 1)
    cash = Decimal(0)
    for quantity, price in fills:
        position.apply(quantity, price, Decimal(0))
        cash -= quantity * price
    position.last_price = mark
    assert position.quantity == sum(quantity for quantity, _ in fills)
    assert position.realized_pnl + position.unrealized_pnl == cash + position.quantity * mark
    assert sum(lot[0] for lot in position.lots) == abs(position.quantity)


@settings(max_examples=80, deadline=None)
@given(fills=fills)
def test_position_dict_round_trip_keeps_lots_cost_and_pnl(fills):
    position = Position("alpha", 1)
    for quantity, price in fills:
        position.apply(quantity, price, Decimal("0.01"))
    restored = Position.from_dict(position.to_dict())
    assert restored.to_dict() == position.to_dict()
    assert restored.open_cost == position.open_cost
