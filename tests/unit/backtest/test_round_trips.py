from datetime import datetime, timedelta
from decimal import Decimal

from alpha_panda.backtest.round_trips import round_trips
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.values import IST, Side

OPEN = datetime(2026, 11, 23, 9, 30, tzinfo=IST)
TOKEN = 408065


def fill(number, side, quantity, price, charges, token=TOKEN):
    return OrderFilled(
        order_id=f"o-{number}",
        fill_id=f"o-{number}:1",
        strategy_id="s",
        instrument_token=token,
        side=side,
        quantity=quantity,
        price=Decimal(price),
        charges=Decimal(charges),
        filled_at=OPEN + timedelta(minutes=number),
    )


def test_a_buy_then_a_sell_is_one_long_round_trip_with_both_charges():
    [trip] = round_trips(
        [fill(1, Side.BUY, 10, "100", "1.00"), fill(2, Side.SELL, 10, "103", "1.50")]
    )
    assert (trip.side, trip.quantity, trip.entry_price, trip.exit_price) == (
        Side.BUY,
        10,
        Decimal("100"),
        Decimal("103"),
    )
    assert (trip.gross_pnl, trip.charges, trip.net_pnl) == (
        Decimal("30"),
        Decimal("2.50"),
        Decimal("27.50"),
    )
    assert (trip.entry_at, trip.exit_at) == (
        OPEN + timedelta(minutes=1),
        OPEN + timedelta(minutes=2),
    )


def test_a_short_round_trip_gains_when_the_price_falls():
    [trip] = round_trips([fill(1, Side.SELL, 5, "200", "0"), fill(2, Side.BUY, 5, "190", "0")])
    assert (trip.side, trip.gross_pnl) == (Side.SELL, Decimal("50"))


def test_partial_exits_split_the_entry_charges_and_add_up_to_every_fill_charge():
    fills = [
        fill(1, Side.BUY, 3, "100", "1.00"),
        fill(2, Side.SELL, 1, "101", "0.40"),
        fill(3, Side.SELL, 2, "102", "0.70"),
    ]
    first, second = round_trips(fills)
    assert (first.quantity, second.quantity) == (1, 2)
    assert first.charges == Decimal("0.33") + Decimal("0.40")
    assert second.charges == Decimal("0.67") + Decimal("0.70")
    assert first.charges + second.charges == sum(f.charges for f in fills)


def test_one_exit_closes_several_entries_first_in_first_out():
    fills = [
        fill(1, Side.BUY, 2, "100", "0.30"),
        fill(2, Side.BUY, 2, "104", "0.30"),
        fill(3, Side.SELL, 3, "103", "0.90"),
    ]
    first, second, still_open = round_trips(fills)
    assert [(t.entry_price, t.quantity, t.exit_price) for t in (first, second)] == [
        (Decimal("100"), 2, Decimal("103")),
        (Decimal("104"), 1, Decimal("103")),
    ]
    assert (first.charges, second.charges) == (Decimal("0.90"), Decimal("0.15") + Decimal("0.30"))
    assert (still_open.quantity, still_open.exit_at, still_open.net_pnl) == (1, None, None)
    assert sum(t.charges for t in (first, second, still_open)) == Decimal("1.50")


def test_a_sell_larger_than_the_position_closes_it_and_opens_a_short():
    closed, short = round_trips(
        [fill(1, Side.BUY, 2, "100", "0"), fill(2, Side.SELL, 5, "99", "0")]
    )
    assert (closed.quantity, closed.gross_pnl) == (2, Decimal("-2"))
    assert (short.side, short.quantity, short.exit_at) == (Side.SELL, 3, None)


def test_instruments_are_paired_separately():
    fills = [
        fill(1, Side.BUY, 1, "100", "0", token=1),
        fill(2, Side.SELL, 1, "50", "0", token=2),
        fill(3, Side.SELL, 1, "101", "0", token=1),
    ]
    closed, still_open = round_trips(fills)
    assert (closed.instrument_token, closed.gross_pnl) == (1, Decimal("1"))
    assert (still_open.instrument_token, still_open.side) == (2, Side.SELL)
