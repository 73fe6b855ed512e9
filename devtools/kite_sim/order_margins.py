"""Order margins (`POST /margins/orders`): what each order would block, in Kite's JSON shape.

A simplified margin model, stated here so no one mistakes it for SPAN: NSE equity blocks the
full value for CNC and a fifth of it for MIS (5x leverage); futures block 12% SPAN plus 3%
exposure of their value; bought options block their premium; sold options block 12% SPAN plus
3% exposure of strike x quantity. The order's price is its limit price (trigger price for
SL-M, last price for MARKET). Charges follow Zerodha's NSE equity schedule
(`alpha_panda.domain.execution.charges`); F&O charges are not modelled and answer 0.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.backtest.generated_market.quotes import MarketModel
from alpha_panda.domain.execution.charges import ChargeBreakdown, ChargeSchedule, Product
from alpha_panda.domain.values import Side
from kite_sim.errors import InputError
from kite_sim.order_rules import is_option

SPAN_RATE = Decimal("0.12")
EXPOSURE_RATE = Decimal("0.03")
MIS_LEVERAGE = 5
_CHARGES = ChargeSchedule()
_NO_CHARGES = ChargeBreakdown(
    brokerage=Decimal(0),
    stt=Decimal(0),
    transaction=Decimal(0),
    sebi=Decimal(0),
    stamp_duty=Decimal(0),
    gst=Decimal(0),
)


def _number(order: dict[str, Any], name: str) -> Decimal:
    try:
        value = Decimal(str(order.get(name) or 0))
    except InvalidOperation:
        raise InputError(f"Invalid `{name}`.") from None
    if not value.is_finite() or value < 0:
        raise InputError(f"Invalid `{name}`.")
    return value


def _price(
    order: dict[str, Any], instrument: ListedInstrument, market: MarketModel, now: datetime
) -> Decimal:
    order_type = order.get("order_type")
    if order_type not in ("MARKET", "LIMIT", "SL", "SL-M"):
        raise InputError("Invalid `order_type`.")
    stated = _number(order, "trigger_price" if order_type == "SL-M" else "price")
    if order_type != "MARKET" and stated:
        return stated
    quote = market.quote(instrument.instrument_token, now)
    if quote is None:
        raise InputError("No last price for this instrument yet: send `price`.")
    return Decimal(quote.last_price) / 100


def _charges_json(charges: ChargeBreakdown) -> dict[str, Any]:
    gst = float(charges.gst)
    return {
        "transaction_tax": float(charges.stt),
        "transaction_tax_type": "stt",
        "exchange_turnover_charge": float(charges.transaction),
        "sebi_turnover_charge": float(charges.sebi),
        "brokerage": float(charges.brokerage),
        "stamp_duty": float(charges.stamp_duty),
        "gst": {"igst": gst, "cgst": 0.0, "sgst": 0.0, "total": gst},
        "total": float(charges.total),
    }


def order_margin(
    order: object, registry: InstrumentRegistry, market: MarketModel, now: datetime
) -> dict[str, Any]:
    """Return the margin Kite's calculator shows for one order of a `/margins/orders` body."""
    if not isinstance(order, dict):
        raise InputError("Send a JSON list of orders.")
    instrument = registry.by_key(f"{order.get('exchange')}:{order.get('tradingsymbol')}")
    if instrument is None or instrument.is_index:
        raise InputError("Invalid `tradingsymbol`.")
    side, product = order.get("transaction_type"), order.get("product")
    if side not in ("BUY", "SELL"):
        raise InputError("Invalid `transaction_type`.")
    if product not in ("CNC", "MIS", "NRML", "MTF"):
        raise InputError("Invalid `product`.")
    quantity = _number(order, "quantity")
    lot = max(instrument.lot_size, 1)
    if quantity <= 0 or quantity != quantity.to_integral_value() or int(quantity) % lot:
        raise InputError(f"Quantity should be a positive multiple of lot size ({lot}).")
    value = _price(order, instrument, market, now) * quantity
    span = exposure = premium = var = Decimal(0)
    leverage = 1
    if instrument.exchange == "NSE":
        leverage = MIS_LEVERAGE if product == "MIS" else 1
        var = value / leverage
    elif is_option(instrument) and side == "BUY":
        premium = value
    else:
        notional = instrument.strike * quantity if is_option(instrument) else value
        span, exposure = notional * SPAN_RATE, notional * EXPOSURE_RATE
    charges = _NO_CHARGES
    if instrument.exchange == "NSE" and product in ("CNC", "MIS"):
        charges = _CHARGES.charges(Side(side), value, Product(product))

    def rupees(amount: Decimal) -> float:
        return float(amount.quantize(Decimal("0.01")))

    return {
        "type": "equity",
        "tradingsymbol": instrument.tradingsymbol,
        "exchange": instrument.exchange,
        "span": rupees(span),
        "exposure": rupees(exposure),
        "option_premium": rupees(premium),
        "additional": 0,
        "bo": 0,
        "cash": 0,
        "var": rupees(var),
        "pnl": {"realised": 0, "unrealised": 0},
        "leverage": leverage,
        "charges": _charges_json(charges),
        "total": rupees(span + exposure + premium + var),
    }
