"""Historical candles (`/instruments/historical/{token}/{interval}`) from the simulated market.

Candles are built by sampling a market model at every step of the generated market during
open hours (09:15-15:30 IST on weekdays) and bucketing the last prices: intraday candles are
aligned to 09:15, day candles are stamped 00:00 IST, volume is the traded quantity within the
candle and OI the open interest at its close. Data exists from the simulator's first trading
instant up to the current simulated instant; earlier or later ranges give no candles.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from alpha_panda.backtest.generated_market.hours import MARKET_CLOSE, MARKET_OPEN
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.backtest.generated_market.quotes import MarketModel, json_rupees
from alpha_panda.domain.values import IST
from kite_sim.errors import InputError

INTERVAL_MINUTES = {
    "minute": 1,
    "3minute": 3,
    "5minute": 5,
    "10minute": 10,
    "15minute": 15,
    "30minute": 30,
    "60minute": 60,
    "day": 0,
}
"""Kite's candle intervals and their length in minutes (0: one candle per day)."""
MAX_DAYS = {
    "minute": 60,
    "3minute": 100,
    "5minute": 100,
    "10minute": 100,
    "15minute": 200,
    "30minute": 200,
    "60minute": 400,
    "day": 2000,
}
"""The longest range, in days, one request may ask for at each interval."""
_KITE_TIME = "%Y-%m-%d %H:%M:%S"

Candle = list[object]


@dataclass(frozen=True)
class CandleRequest:
    """A validated historical-data request."""

    instrument_token: int
    interval: str
    start: datetime
    end: datetime
    with_oi: bool


def _instant(query: Mapping[str, str], name: str) -> datetime:
    text = query.get(name, "")
    for layout in (_KITE_TIME, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=IST)
        except ValueError:
            continue
    raise InputError(f"invalid {name} date")


def parse_candle_request(
    token_text: str, interval: str, query: Mapping[str, str], registry: InstrumentRegistry
) -> CandleRequest:
    """Validate the path and query of a historical-data request as Kite does."""
    if not token_text.isdigit() or registry.by_token(int(token_text)) is None:
        raise InputError("invalid token")
    if interval not in INTERVAL_MINUTES:
        raise InputError("invalid interval")
    start, end = _instant(query, "from"), _instant(query, "to")
    if start > end:
        raise InputError("invalid from date: `from` is after `to`")
    if end - start > timedelta(days=MAX_DAYS[interval]):
        raise InputError(f"interval exceeds max limit: {MAX_DAYS[interval]} days")
    return CandleRequest(int(token_text), interval, start, end, query.get("oi") == "1")


def open_instants(start: datetime, end: datetime, step_seconds: float) -> Iterator[datetime]:
    """Yield every `step_seconds` instant of open-market time from `start` up to `end`.

    Instants lie on the step grid from each day's open; a `start` between two grid points
    begins at the earlier one, the step a market observed at `start` is on.
    """
    step = timedelta(seconds=step_seconds)
    day: date = start.astimezone(IST).date()
    while day <= end.astimezone(IST).date():
        if day.weekday() < 5:
            opening = datetime.combine(day, MARKET_OPEN, IST)
            closing = datetime.combine(day, MARKET_CLOSE, IST)
            instant = opening
            if start > opening:
                instant = opening + step * ((start - opening) // step)
            while instant < closing and instant <= end:
                yield instant
                instant += step
        day += timedelta(days=1)


def _bucket(instant: datetime, minutes: int) -> datetime:
    local = instant.astimezone(IST)
    if not minutes:
        return datetime.combine(local.date(), datetime.min.time(), IST)
    opening = datetime.combine(local.date(), MARKET_OPEN, IST)
    elapsed = int((local - opening).total_seconds() // 60)
    return opening + timedelta(minutes=elapsed - elapsed % minutes)


def build_candles(
    market: MarketModel, request: CandleRequest, instants: Iterator[datetime]
) -> list[Candle]:
    """Sample `market` at `instants` (ascending) and bucket what falls in the request's range."""
    minutes = INTERVAL_MINUTES[request.interval]
    candles: list[Candle] = []
    current: datetime | None = None
    open_ = high = low = close = volume = oi = volume_before = last_volume = 0
    last_day: date | None = None
    for instant in instants:
        quote = market.quote(request.instrument_token, instant)
        if quote is None:
            continue
        day = instant.astimezone(IST).date()
        if instant >= request.start:
            bucket = _bucket(instant, minutes)
            if bucket != current:
                if current is not None:
                    candles.append(
                        _candle(current, open_, high, low, close, volume - volume_before, oi)
                    )
                volume_before = last_volume if day == last_day else 0
                current, open_, high, low = (
                    bucket,
                    quote.last_price,
                    quote.last_price,
                    quote.last_price,
                )
            high, low = max(high, quote.last_price), min(low, quote.last_price)
            close, volume, oi = quote.last_price, quote.volume, quote.oi
        last_day, last_volume = day, quote.volume
    if current is not None:
        candles.append(_candle(current, open_, high, low, close, volume - volume_before, oi))
    if not request.with_oi:
        return [candle[:6] for candle in candles]
    return candles


def _candle(
    stamp: datetime, open_: int, high: int, low: int, close: int, volume: int, oi: int
) -> Candle:
    return [
        stamp.strftime("%Y-%m-%dT%H:%M:%S%z"),
        json_rupees(open_),
        json_rupees(high),
        json_rupees(low),
        json_rupees(close),
        volume,
        oi,
    ]
