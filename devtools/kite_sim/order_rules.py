"""Kite's pre-trade checks that depend on the clock and the market, not only on the form.

Zerodha's order validation refuses, before an order reaches the exchange: regular orders
outside the session, AMOs during the day (09:00-15:45 IST for NSE equity, 09:10-15:45 for
F&O), market orders on stock options (illiquid), SL-M orders on options (no longer supported
by the exchanges), market AMOs on index options, and stop-loss triggers on the wrong side of
the last traded price or beyond the circuit limits. Texts follow Kite's where they are known.
During NSE's pre-open (09:00-09:15) equity orders are collected from 09:00 to 09:08 (LIMIT and
MARKET only) and match when continuous trading starts at 09:15.
"""

from __future__ import annotations

from datetime import datetime
from datetime import time as time_of_day

from alpha_panda.backtest.generated_market.instruments import ListedInstrument
from alpha_panda.backtest.generated_market.quotes import Quote
from alpha_panda.domain.values import IST
from kite_sim.clock import PRE_OPEN_START, SessionPhase, session_phase
from kite_sim.errors import InputError

PRE_OPEN_COLLECTION_END = time_of_day(9, 8)
AMO_BLOCK_END = time_of_day(15, 45)
AMO_BLOCK_START = {"NSE": PRE_OPEN_START, "NFO": time_of_day(9, 10)}
INDEX_UNDERLYINGS = frozenset(
    {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "SENSEX", "BANKEX"}
)
"""Underlyings whose options are index options; every other option is a stock option."""

MARKETS_CLOSED = "Markets are closed right now. Use GTT for placing long standing orders instead."
PRE_OPEN_ENDED = (
    "The pre-open order collection period (09:00 to 09:08) is over. "
    "Place the order once the market opens at 09:15."
)
PRE_OPEN_TYPES = "Only LIMIT and MARKET orders are allowed in the pre-open session."
AMO_DURING_DAY = (
    "AMOs are blocked between 9:00 AM and 3:45 PM for NSE equity and "
    "between 9:10 AM and 3:45 PM for F&O. Place a regular order instead."
)
STOCK_OPTION_MARKET = (
    "Market orders are blocked for stock options due to illiquidity. Place a LIMIT order instead."
)
OPTION_STOP_MARKET = "SL-M orders are not allowed for options. Place an SL order instead."
INDEX_OPTION_MARKET_AMO = (
    "Market orders are blocked for index options when placed as AMO. Place a LIMIT order instead."
)


def is_option(instrument: ListedInstrument) -> bool:
    """Return whether the instrument is an option contract (CE or PE)."""
    return instrument.instrument_type in ("CE", "PE")


def is_stock_option(instrument: ListedInstrument) -> bool:
    """Return whether the instrument is an option on a single stock rather than an index."""
    return is_option(instrument) and instrument.name not in INDEX_UNDERLYINGS


def check_session(
    variety: str, instrument: ListedInstrument, order_type: str, instant: datetime
) -> None:
    """Refuse an order the session at `instant` does not take: AMOs by day, regulars by night."""
    local = instant.astimezone(IST)
    moment = local.time()
    weekday = local.weekday() < 5
    if variety == "amo":
        start = AMO_BLOCK_START.get(instrument.exchange, PRE_OPEN_START)
        if weekday and start <= moment < AMO_BLOCK_END:
            raise InputError(AMO_DURING_DAY)
        return
    phase = session_phase(instant)
    if phase is SessionPhase.OPEN:
        return
    if phase is SessionPhase.PRE_OPEN and instrument.exchange == "NSE":
        if moment >= PRE_OPEN_COLLECTION_END:
            raise InputError(PRE_OPEN_ENDED)
        if order_type not in ("LIMIT", "MARKET"):
            raise InputError(PRE_OPEN_TYPES)
        return
    raise InputError(MARKETS_CLOSED)


def check_order_type(variety: str, instrument: ListedInstrument, order_type: str) -> None:
    """Refuse the order types Zerodha blocks on options."""
    if not is_option(instrument):
        return
    if order_type == "SL-M":
        raise InputError(OPTION_STOP_MARKET)
    if order_type != "MARKET":
        return
    if is_stock_option(instrument):
        raise InputError(STOCK_OPTION_MARKET)
    if variety == "amo":
        raise InputError(INDEX_OPTION_MARKET_AMO)


def check_stoploss(
    transaction_type: str, order_type: str, price: int, trigger: int, quote: Quote | None
) -> None:
    """Refuse a stop-loss trigger (paise) on the wrong side of the price, LTP or circuits."""
    if order_type not in ("SL", "SL-M"):
        return
    buying = transaction_type == "BUY"
    side = "buy" if buying else "sell"
    if order_type == "SL" and (trigger > price if buying else trigger < price):
        relation = "higher" if buying else "lower"
        raise InputError(
            f"Trigger price for stoploss {side} orders cannot be {relation} than price."
        )
    if quote is None:
        return
    if buying and quote.upper_circuit and trigger > quote.upper_circuit:
        raise InputError(
            "Trigger price for stoploss buy orders cannot be above the upper circuit price."
        )
    if not buying and quote.lower_circuit and trigger < quote.lower_circuit:
        raise InputError(
            "Trigger price for stoploss sell orders cannot be below the lower circuit price."
        )
    if buying and trigger <= quote.last_price:
        raise InputError(
            "Trigger price for stoploss buy orders should be higher than the last traded price."
        )
    if not buying and trigger >= quote.last_price:
        raise InputError(
            "Trigger price for stoploss sell orders should be lower than the last traded price."
        )
