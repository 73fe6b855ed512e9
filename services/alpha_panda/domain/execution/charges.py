"""Zerodha's charge schedule for NSE equity, intraday and delivery."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import Field

from alpha_panda.domain.values import Frozen, Side

ZERO = Decimal(0)
PAISA = Decimal("0.01")


class Product(StrEnum):
    """Kite product codes: intraday (MIS) squares off the same day, delivery (CNC) does not."""

    INTRADAY = "MIS"
    DELIVERY = "CNC"


class ChargeBreakdown(Frozen):
    """The charges of one order side, each rounded as the schedule says."""

    brokerage: Decimal
    stt: Decimal
    transaction: Decimal
    sebi: Decimal
    stamp_duty: Decimal
    gst: Decimal

    @property
    def total(self) -> Decimal:
        """Return the sum of every component."""
        return self.brokerage + self.stt + self.transaction + self.sebi + self.stamp_duty + self.gst


class ChargeSchedule(Frozen):
    """Rates as fractions of turnover; defaults are Zerodha's NSE equity schedule (2024-10).

    Rounding follows Zerodha's brokerage calculator: every component is rounded half-up to
    the paisa, except STT and stamp duty, which the calculator rounds to the rupee
    (`duty_quantum`; set it to 0.01 to round them to the paisa too). GST is 18% of the
    already rounded brokerage, exchange transaction charge and SEBI fee. Charges are computed
    on the whole turnover of one order side, so the ₹20 brokerage cap applies per order; DP
    charges on delivery sells are billed per scrip per day and are left out.
    """

    intraday_brokerage_rate: Decimal = Decimal("0.0003")
    brokerage_cap: Decimal = Decimal(20)
    delivery_brokerage_rate: Decimal = ZERO
    intraday_stt_sell_rate: Decimal = Decimal("0.00025")
    delivery_stt_rate: Decimal = Decimal("0.001")
    transaction_rate: Decimal = Decimal("0.0000297")
    sebi_rate: Decimal = Decimal("0.000001")
    intraday_stamp_buy_rate: Decimal = Decimal("0.00003")
    delivery_stamp_buy_rate: Decimal = Decimal("0.00015")
    gst_rate: Decimal = Decimal("0.18")
    duty_quantum: Decimal = Field(default=Decimal(1), gt=0)

    def charges(self, side: Side, turnover: Decimal, product: Product) -> ChargeBreakdown:
        """Return the charges of one order side with the given turnover (quantity x price)."""
        intraday = product is Product.INTRADAY
        if intraday:
            brokerage = min(self.brokerage_cap, _paisa(turnover * self.intraday_brokerage_rate))
            stt_rate = self.intraday_stt_sell_rate if side is Side.SELL else ZERO
            stamp_rate = self.intraday_stamp_buy_rate
        else:
            brokerage = min(self.brokerage_cap, _paisa(turnover * self.delivery_brokerage_rate))
            stt_rate = self.delivery_stt_rate
            stamp_rate = self.delivery_stamp_buy_rate
        if side is Side.SELL:
            stamp_rate = ZERO
        transaction = _paisa(turnover * self.transaction_rate)
        sebi = _paisa(turnover * self.sebi_rate)
        return ChargeBreakdown(
            brokerage=brokerage,
            stt=self._duty(turnover * stt_rate),
            transaction=transaction,
            sebi=sebi,
            stamp_duty=self._duty(turnover * stamp_rate),
            gst=_paisa((brokerage + transaction + sebi) * self.gst_rate),
        )

    def _duty(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.duty_quantum, ROUND_HALF_UP).quantize(PAISA)


def _paisa(amount: Decimal) -> Decimal:
    return amount.quantize(PAISA, ROUND_HALF_UP)
