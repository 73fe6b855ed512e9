from decimal import Decimal

from alpha_panda.domain.execution import ChargeSchedule, Product, order_tag
from alpha_panda.domain.values import Side

SCHEDULE = ChargeSchedule()


def test_intraday_buy_of_one_lakh_caps_brokerage_and_rounds_stamp_to_the_rupee():
    charges = SCHEDULE.charges(Side.BUY, Decimal("100000"), Product.INTRADAY)
    assert charges.brokerage == Decimal("20.00")  # 0.03 % would be 30
    assert charges.stt == Decimal("0.00")
    assert charges.transaction == Decimal("2.97")
    assert charges.sebi == Decimal("0.10")
    assert charges.stamp_duty == Decimal("3.00")
    assert charges.gst == Decimal("4.15")  # 18 % of 23.07 = 4.1526
    assert charges.total == Decimal("30.22")


def test_intraday_sell_charges_stt_on_sell_side_and_no_stamp_duty():
    charges = SCHEDULE.charges(Side.SELL, Decimal("101000"), Product.INTRADAY)
    assert charges.stt == Decimal("25.00")  # 25.25 rounded to the rupee
    assert charges.transaction == Decimal("3.00")  # 2.9997
    assert charges.stamp_duty == Decimal("0.00")
    assert charges.gst == Decimal("4.16")  # 18 % of 23.10 = 4.158
    assert charges.total == Decimal("52.26")


def test_intraday_small_order_pays_percentage_brokerage_below_the_cap():
    charges = SCHEDULE.charges(Side.BUY, Decimal("10000"), Product.INTRADAY)
    assert charges.brokerage == Decimal("3.00")
    assert charges.gst == Decimal("0.60")  # 18 % of (3.00 + 0.30 + 0.01) = 0.5958
    assert charges.stamp_duty == Decimal("0.00")  # 0.30 rounds to no rupee
    assert charges.total == Decimal("3.91")


def test_delivery_buy_has_zero_brokerage_and_stt_on_both_sides():
    buy = SCHEDULE.charges(Side.BUY, Decimal("25000"), Product.DELIVERY)
    assert (buy.brokerage, buy.stt, buy.transaction, buy.sebi) == (
        Decimal("0.00"),
        Decimal("25.00"),
        Decimal("0.74"),
        Decimal("0.03"),
    )
    assert buy.stamp_duty == Decimal("4.00")  # 3.75 rounded to the rupee
    assert buy.gst == Decimal("0.14")
    assert buy.total == Decimal("29.91")
    sell = SCHEDULE.charges(Side.SELL, Decimal("25000"), Product.DELIVERY)
    assert (sell.stt, sell.stamp_duty) == (Decimal("25.00"), Decimal("0.00"))


def test_duty_quantum_of_a_paisa_keeps_stt_exact_to_the_paisa():
    schedule = ChargeSchedule(duty_quantum=Decimal("0.01"))
    charges = schedule.charges(Side.SELL, Decimal("10100"), Product.INTRADAY)
    assert charges.stt == Decimal("2.53")  # 2.525 half-up


def test_order_tag_is_twenty_alphanumeric_characters_and_deterministic():
    tag = order_tag("0193a8e2-7c4f-7b3e-9f1a-2b3c4d5e6f70")
    assert len(tag) == 20 and tag.isalnum()
    assert tag == order_tag("0193a8e2-7c4f-7b3e-9f1a-2b3c4d5e6f70")
    assert tag != order_tag("0193a8e2-7c4f-7b3e-9f1a-2b3c4d5e6f71")
