"""Generated market: seeded random-walk prices on trading time, with volume, depth and bands.

Time is measured in trading seconds since 09:15 IST of the origin day, so a path only moves
while the market is open and every trading day has the same number of steps. Each instrument
draws from its own seeded generator one step at a time, so a given seed and a given sequence of
observation instants give the same path on every run.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alpha_panda.backtest.generated_market.hours import MARKET_CLOSE, MARKET_OPEN
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.backtest.generated_market.quotes import (
    DepthShape,
    Level,
    Quote,
    depth_shape,
    mix,
    synthetic_depth,
    to_paise,
)
from alpha_panda.domain.values import IST

SESSION_SECONDS = (MARKET_CLOSE.hour * 60 + MARKET_CLOSE.minute) * 60 - (
    MARKET_OPEN.hour * 60 + MARKET_OPEN.minute
) * 60
_TRADING_SECONDS_PER_YEAR = 252 * SESSION_SECONDS
_MAX_STEPPED_GAP = 256
_ANNUAL_VOLATILITY = {"EQ": 0.25, "FUT": 0.2, "CE": 0.9, "PE": 0.9, "INDEX": 0.14}
_INDEX_TICK_PAISE = 5


def trading_seconds(origin_day_open: datetime, instant: datetime) -> float:
    """Count open-market seconds (weekdays 09:15-15:30 IST) from an origin open to `instant`."""
    if instant <= origin_day_open:
        return 0.0
    total = 0.0
    day = origin_day_open.astimezone(IST).date()
    last_day = instant.astimezone(IST).date()
    while day <= last_day:
        if day.weekday() < 5:
            opens = datetime.combine(day, MARKET_OPEN, IST)
            closes = datetime.combine(day, MARKET_CLOSE, IST)
            end = min(closes, instant)
            if end > opens:
                total += (end - opens).total_seconds()
        day += timedelta(days=1)
    return total


@dataclass(slots=True)
class _PathState:
    """Mutable state of one instrument's path, with its constants; private to the market."""

    token: int
    tick: int
    lot: int
    sigma: float
    index: bool
    circuit_percent: int
    shape: DepthShape
    rng: random.Random
    step: int
    day: int
    price: int
    open: int
    high: int
    low: int
    close: int
    volume: int = 0
    turnover: int = 0
    last_quantity: int = 0
    oi: int = 0
    oi_high: int = 0
    oi_low: int = 0
    lower: int = 0
    upper: int = 0
    snapshot: Quote | None = None


class GeneratedMarket:
    """A seeded, reproducible market for every instrument in a registry."""

    def __init__(
        self,
        registry: InstrumentRegistry,
        origin: datetime,
        seed: int = 0,
        step_seconds: float = 0.5,
    ) -> None:
        if step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
        self._registry = registry
        day = origin.astimezone(IST).date()
        self._origin = datetime.combine(day, MARKET_OPEN, IST).astimezone(UTC)
        self._seed = seed
        self._step_seconds = step_seconds
        self._steps_per_day = max(1, int(SESSION_SECONDS / step_seconds))
        self._states: dict[int, _PathState] = {}
        self._first_seen: dict[int, datetime] = {}
        self._last_instant: datetime | None = None
        self._last_step = 0
        self._last_stamp = origin

    def quote(self, instrument_token: int, instant: datetime) -> Quote | None:
        """Return the instrument's state at `instant`, or None for an unknown token."""
        if instant != self._last_instant:
            self._last_step = int(trading_seconds(self._origin, instant) / self._step_seconds)
            self._last_instant = instant
            self._last_stamp = instant.replace(microsecond=0)
        state = self._states.get(instrument_token)
        if state is None:
            instrument = self._registry.by_token(instrument_token)
            if instrument is None:
                return None
            state = self._start(instrument, self._last_step)
            self._first_seen[instrument_token] = instant
        elif self._last_step > state.step:
            self._advance(state, self._last_step)
        snapshot = state.snapshot
        if snapshot is not None and snapshot.sequence == state.step:
            return snapshot
        return self._snapshot(state, self._last_stamp)

    def first_seen(self, instrument_token: int) -> datetime | None:
        """Return when the instrument was first quoted; its path starts there, unmoved before.

        A fresh market with the same registry, origin, seed and step that is first asked at
        this instant and then at every step retraces the path (while this market was asked at
        least every 256 steps), which is how the Kite simulator serves historical candles.
        """
        return self._first_seen.get(instrument_token)

    def _start(self, instrument: ListedInstrument, step: int) -> _PathState:
        token = instrument.instrument_token
        rng = random.Random(mix(self._seed, token))
        tick = to_paise(instrument.tick_size) or _INDEX_TICK_PAISE
        close = _round_to(to_paise(instrument.reference_price), tick)
        opening = _round_to(int(close * (1 + rng.gauss(0, 0.004))), tick)
        oi = 0 if instrument.exchange != "NFO" else instrument.lot_size * rng.randint(1000, 50000)
        kind = "INDEX" if instrument.is_index else instrument.instrument_type
        annual = _ANNUAL_VOLATILITY.get(kind, 0.25)
        lot = max(instrument.lot_size, 1)
        state = _PathState(
            token=token,
            tick=tick,
            lot=lot,
            sigma=annual * math.sqrt(self._step_seconds / _TRADING_SECONDS_PER_YEAR),
            index=instrument.is_index,
            circuit_percent=instrument.circuit_percent,
            shape=depth_shape(self._seed, token, lot),
            rng=rng,
            step=step,
            day=step // self._steps_per_day,
            price=opening,
            open=opening,
            high=opening,
            low=opening,
            close=close,
            oi=oi,
            oi_high=oi,
            oi_low=oi,
        )
        _set_bands(state)
        self._states[token] = state
        return state

    def _advance(self, state: _PathState, step: int) -> None:
        target_day = step // self._steps_per_day
        if target_day > state.day:
            _roll_day(state, target_day)
            state.step = max(state.step, target_day * self._steps_per_day)
        gap = step - state.step
        stepped = min(gap, _MAX_STEPPED_GAP)
        if gap > stepped:
            # A long unobserved stretch collapses into one draw of the same total variance.
            _move(state, state.sigma * math.sqrt(gap - stepped), state.lot * (gap - stepped))
        for _ in range(stepped):
            _move(state, state.sigma, state.lot)
        state.step = step

    def _snapshot(self, state: _PathState, stamp: datetime) -> Quote:
        if state.index:
            bids: tuple[Level, ...] = ()
            asks: tuple[Level, ...] = ()
            buy_quantity = sell_quantity = 0
        else:
            bids, asks = synthetic_depth(
                state.shape, state.token, state.step, state.price, state.tick
            )
            # Visible depth is a seventh of the resting book, as on a busy counter.
            buy_quantity = 7 * (bids[0][1] + bids[1][1] + bids[2][1] + bids[3][1] + bids[4][1])
            sell_quantity = 7 * (asks[0][1] + asks[1][1] + asks[2][1] + asks[3][1] + asks[4][1])
        state.snapshot = Quote(
            state.token,
            state.step,
            stamp,
            state.price,
            state.last_quantity,
            state.turnover // state.volume if state.volume else state.price,
            state.volume,
            buy_quantity,
            sell_quantity,
            state.open,
            state.high,
            state.low,
            state.close,
            state.oi,
            state.oi_high,
            state.oi_low,
            state.lower,
            state.upper,
            bids,
            asks,
            state.index,
        )
        return state.snapshot


def _move(state: _PathState, sigma: float, lot: int) -> None:
    shock = state.rng.gauss(0.0, 1.0)
    tick = state.tick
    price = (int(state.price * (1.0 + sigma * shock)) + tick // 2) // tick * tick
    if state.upper:
        price = min(max(price, state.lower), state.upper)
    price = max(price, tick)
    state.price = price
    if price > state.high:
        state.high = price
    elif price < state.low:
        state.low = price
    if state.index:
        return
    quantity = lot * (1 + int(state.rng.expovariate(0.2)))
    state.last_quantity = quantity
    state.volume += quantity
    state.turnover += quantity * price
    if state.oi:
        state.oi = max(0, state.oi + state.lot * round(shock * 3))
        state.oi_high = max(state.oi_high, state.oi)
        state.oi_low = min(state.oi_low, state.oi)


def _round_to(paise: int, tick: int) -> int:
    return (paise + tick // 2) // tick * tick


def _set_bands(state: _PathState) -> None:
    percent, tick = state.circuit_percent, state.tick
    if percent <= 0:
        state.lower = state.upper = 0
        return
    width = state.close * percent // 100
    state.lower = _round_to(state.close - width, tick)
    state.upper = _round_to(state.close + width, tick)


def _roll_day(state: _PathState, day: int) -> None:
    state.day = day
    state.close = state.price
    state.open = state.high = state.low = state.price
    state.volume = state.turnover = state.last_quantity = 0
    state.oi_high = state.oi_low = state.oi
    _set_bands(state)
