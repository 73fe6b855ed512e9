"""The simulator's instrument universe: a realistic NSE/NFO set plus synthetic fillers."""

from __future__ import annotations

import csv
import io
from calendar import monthrange
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

SEGMENT_CODES = {"NSE": 1, "NFO-FUT": 2, "NFO-OPT": 2, "INDICES": 9}
"""Kite's segment number, carried in the low byte of every instrument token."""

DUMP_COLUMNS = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)

_EQUITIES = (
    # tradingsymbol, exchange token, name, reference price (rupees)
    ("RELIANCE", 2885, "RELIANCE INDUSTRIES", "1510.40"),
    ("INFY", 1594, "INFOSYS", "1542.80"),
    ("TCS", 11536, "TATA CONSULTANCY SERV LT", "3120.50"),
    ("HDFCBANK", 1333, "HDFC BANK", "992.15"),
    ("ICICIBANK", 4963, "ICICI BANK.", "1384.60"),
    ("SBIN", 3045, "STATE BANK OF INDIA", "958.30"),
    ("ITC", 1660, "ITC", "408.25"),
    ("LT", 11483, "LARSEN & TOUBRO.", "4012.70"),
    ("AXISBANK", 5900, "AXIS BANK", "1251.90"),
    ("KOTAKBANK", 1922, "KOTAK MAHINDRA BANK", "2108.40"),
    ("BHARTIARTL", 10604, "BHARTI AIRTEL", "2061.55"),
    ("HINDUNILVR", 1394, "HINDUSTAN UNILEVER.", "2447.10"),
    ("BAJFINANCE", 317, "BAJAJ FINANCE", "1012.35"),
    ("MARUTI", 10999, "MARUTI SUZUKI INDIA.", "15790.00"),
    ("ASIANPAINT", 236, "ASIAN PAINTS", "2893.20"),
    ("WIPRO", 3787, "WIPRO", "246.48"),
    ("HCLTECH", 7229, "HCL TECHNOLOGIES", "1604.90"),
    ("SUNPHARMA", 3351, "SUN PHARMACEUTICAL IND L", "1748.60"),
    ("TATASTEEL", 3499, "TATA STEEL", "171.36"),
    ("TITAN", 3506, "TITAN COMPANY", "3811.00"),
    ("ULTRACEMCO", 11532, "ULTRATECH CEMENT", "11795.00"),
    ("NTPC", 11630, "NTPC", "329.85"),
    ("POWERGRID", 14977, "POWER GRID CORP.", "271.40"),
    ("ONGC", 2475, "OIL AND NATURAL GAS CORP.", "246.12"),
    ("ADANIENT", 25, "ADANI ENTERPRISES", "2398.70"),
)
_INDICES = (("NIFTY 50", 1001, "26012.35"), ("NIFTY BANK", 1016, "59210.80"))
_DERIVATIVES = (
    # name, underlying reference price, lot size, strike step
    ("NIFTY", "26012.35", 75, 50),
    ("BANKNIFTY", "59210.80", 35, 100),
    ("RELIANCE", "1510.40", 500, 10),
)
_FIRST_DERIVATIVE_TOKEN = 35000
_FIRST_SYNTHETIC_TOKEN = 900000


@dataclass(frozen=True, slots=True)
class ListedInstrument:
    """One row of the instruments dump plus what the market model needs to price it."""

    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str
    exchange: str
    segment: str
    instrument_type: str
    tick_size: Decimal
    lot_size: int
    reference_price: Decimal
    circuit_percent: int
    expiry: date | None = None
    strike: Decimal = Decimal(0)

    @property
    def key(self) -> str:
        """Return the `EXCHANGE:TRADINGSYMBOL` form Kite's quote endpoints use."""
        return f"{self.exchange}:{self.tradingsymbol}"

    @property
    def is_index(self) -> bool:
        """Return whether this is a non-tradable index."""
        return self.segment == "INDICES"


def instrument_token(exchange_token: int, segment: str) -> int:
    """Compose a Kite instrument token: exchange token shifted left a byte, plus the segment."""
    return (exchange_token << 8) | SEGMENT_CODES[segment]


def last_tuesday(year: int, month: int) -> date:
    """Return the last Tuesday of a month (NSE's monthly F&O expiry day)."""
    last = date(year, month, monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 1) % 7)


def monthly_expiry(trading_day: date) -> date:
    """Return the nearest monthly expiry on or after a trading day."""
    expiry = last_tuesday(trading_day.year, trading_day.month)
    if expiry >= trading_day:
        return expiry
    year, month = divmod(trading_day.year * 12 + trading_day.month, 12)
    return last_tuesday(year, month + 1)


def _equities() -> Iterator[ListedInstrument]:
    for symbol, exchange_token, name, price in _EQUITIES:
        yield ListedInstrument(
            instrument_token=instrument_token(exchange_token, "NSE"),
            exchange_token=exchange_token,
            tradingsymbol=symbol,
            name=name,
            exchange="NSE",
            segment="NSE",
            instrument_type="EQ",
            tick_size=Decimal("0.05") if Decimal(price) > 250 else Decimal("0.01"),
            lot_size=1,
            reference_price=Decimal(price),
            circuit_percent=10,
        )


def _indices() -> Iterator[ListedInstrument]:
    for symbol, exchange_token, price in _INDICES:
        yield ListedInstrument(
            instrument_token=instrument_token(exchange_token, "INDICES"),
            exchange_token=exchange_token,
            tradingsymbol=symbol,
            name=symbol,
            exchange="NSE",
            segment="INDICES",
            instrument_type="EQ",
            tick_size=Decimal(0),
            lot_size=0,
            reference_price=Decimal(price),
            circuit_percent=0,
        )


def _derivatives(trading_day: date) -> Iterator[ListedInstrument]:
    expiry = monthly_expiry(trading_day)
    prefix = f"{expiry:%y}{expiry:%b}".upper()
    exchange_token = _FIRST_DERIVATIVE_TOKEN
    for name, spot_text, lot_size, step in _DERIVATIVES:
        spot = Decimal(spot_text)
        contracts = [("FUT", "NFO-FUT", Decimal(0), spot * Decimal("1.004"))]
        at_the_money = int(spot / step) * step
        for offset in range(-2, 3):
            strike = Decimal(at_the_money + offset * step)
            time_value = spot * Decimal("0.012")
            call = max(spot - strike, Decimal(0)) + time_value
            put = max(strike - spot, Decimal(0)) + time_value
            contracts += [("CE", "NFO-OPT", strike, call), ("PE", "NFO-OPT", strike, put)]
        for kind, segment, strike, price in contracts:
            exchange_token += 1
            suffix = "FUT" if kind == "FUT" else f"{strike:f}{kind}"
            yield ListedInstrument(
                instrument_token=instrument_token(exchange_token, segment),
                exchange_token=exchange_token,
                tradingsymbol=f"{name}{prefix}{suffix}",
                name=name,
                exchange="NFO",
                segment=segment,
                instrument_type=kind,
                tick_size=Decimal("0.05") if kind != "FUT" else Decimal("0.10"),
                lot_size=lot_size,
                reference_price=price.quantize(Decimal("0.05")),
                circuit_percent=40 if kind != "FUT" else 10,
                expiry=expiry,
                strike=strike,
            )


def _synthetic(count: int) -> Iterator[ListedInstrument]:
    for number in range(count):
        exchange_token = _FIRST_SYNTHETIC_TOKEN + number
        yield ListedInstrument(
            instrument_token=instrument_token(exchange_token, "NSE"),
            exchange_token=exchange_token,
            tradingsymbol=f"SYNTH{number:05d}",
            name=f"SYNTHETIC {number:05d}",
            exchange="NSE",
            segment="NSE",
            instrument_type="EQ",
            tick_size=Decimal("0.05"),
            lot_size=1,
            reference_price=Decimal(100 + (number * 37) % 4900),
            circuit_percent=(2, 5, 10, 20)[number % 4],
        )


class InstrumentRegistry:
    """Look instruments up by token or `EXCHANGE:SYMBOL`, and render the daily dump."""

    def __init__(self, instruments: Iterable[ListedInstrument]) -> None:
        self._by_token = {item.instrument_token: item for item in instruments}
        self._by_key = {item.key: item for item in self._by_token.values()}

    @classmethod
    def build(cls, trading_day: date, synthetic_count: int = 0) -> InstrumentRegistry:
        """Build the built-in set for a trading day, plus `synthetic_count` extra equities."""
        items = [
            *_indices(),
            *_equities(),
            *_derivatives(trading_day),
            *_synthetic(synthetic_count),
        ]
        return cls(items)

    def __len__(self) -> int:
        return len(self._by_token)

    def __iter__(self) -> Iterator[ListedInstrument]:
        return iter(self._by_token.values())

    def by_token(self, token: int) -> ListedInstrument | None:
        """Return the instrument with this token, if listed."""
        return self._by_token.get(token)

    def by_key(self, key: str) -> ListedInstrument | None:
        """Return the instrument for `EXCHANGE:SYMBOL` or a bare numeric token, if listed."""
        if key.isdigit():
            return self._by_token.get(int(key))
        return self._by_key.get(key)

    def dump_csv(self, exchange: str | None = None) -> str:
        """Render the instruments dump in Kite's column order, optionally for one exchange."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(DUMP_COLUMNS)
        for item in self._by_token.values():
            if exchange is not None and item.exchange != exchange:
                continue
            writer.writerow(
                (
                    item.instrument_token,
                    item.exchange_token,
                    item.tradingsymbol,
                    item.name,
                    0,
                    item.expiry.isoformat() if item.expiry else "",
                    item.strike,
                    item.tick_size,
                    item.lot_size,
                    item.instrument_type,
                    item.segment,
                    item.exchange,
                )
            )
        return buffer.getvalue()
