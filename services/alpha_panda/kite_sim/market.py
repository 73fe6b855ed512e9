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

from alpha_panda.domain.values import IST
from alpha_panda.kite_sim.clock import MARKET_CLOSE, MARKET_OPEN
from alpha_panda.kite_sim.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.kite_sim.quotes import Quote, mix, synthetic_depth, to_paise

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
    """Mutable state of one instrument's path; private to the generated market."""

    rng: random.Random
    step: int
    day: int
    price: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    turnover: int
    last_quantity: int
    oi: int
    oi_high: int
    oi_low: int
    lower: int
    upper: int
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
        self._last_instant: datetime | None = None
        self._last_step = 0

    def quote(self, instrument_token: int, instant: datetime) -> Quote | None:
        """Return the instrument's state at `instant`, or None for an unknown token."""
        instrument = self._registry.by_token(instrument_token)
        if instrument is None:
            return None
        if instant != self._last_instant:
            self._last_step = int(trading_seconds(self._origin, instant) / self._step_seconds)
            self._last_instant = instant
        state = self._advance(instrument, self._last_step)
        return self._snapshot(instrument, state, instant)

    def _tick(self, instrument: ListedInstrument) -> int:
        return to_paise(instrument.tick_size) or _INDEX_TICK_PAISE

    def _volatility(self, instrument: ListedInstrument) -> float:
        kind = "INDEX" if instrument.is_index else instrument.instrument_type
        annual = _ANNUAL_VOLATILITY.get(kind, 0.25)
        return annual * math.sqrt(self._step_seconds / _TRADING_SECONDS_PER_YEAR)

    def _start(self, instrument: ListedInstrument, step: int) -> _PathState:
        token = instrument.instrument_token
        rng = random.Random(mix(self._seed, token))
        tick = self._tick(instrument)
        close = _round_to(to_paise(instrument.reference_price), tick)
        opening = _round_to(int(close * (1 + rng.gauss(0, 0.004))), tick)
        oi = 0 if instrument.exchange != "NFO" else instrument.lot_size * rng.randint(1000, 50000)
        state = _PathState(
            rng=rng,
            step=step,
            day=step // self._steps_per_day,
            price=opening,
            open=opening,
            high=opening,
            low=opening,
            close=close,
            volume=0,
            turnover=0,
            last_quantity=0,
            oi=oi,
            oi_high=oi,
            oi_low=oi,
            lower=0,
            upper=0,
        )
        _set_bands(state, instrument.circuit_percent, tick)
        self._states[token] = state
        return state

    def _advance(self, instrument: ListedInstrument, step: int) -> _PathState:
        state = self._states.get(instrument.instrument_token)
        if state is None:
            return self._start(instrument, step)
        if step <= state.step:
            return state
        tick = self._tick(instrument)
        target_day = step // self._steps_per_day
        if target_day > state.day:
            _roll_day(state, target_day, instrument.circuit_percent, tick)
            state.step = max(state.step, target_day * self._steps_per_day)
        gap = step - state.step
        sigma = self._volatility(instrument)
        lot = max(instrument.lot_size, 1)
        stepped = min(gap, _MAX_STEPPED_GAP)
        if gap > stepped:
            # A long unobserved stretch collapses into one draw of the same total variance.
            self._move(
                state, instrument, sigma * math.sqrt(gap - stepped), lot * (gap - stepped), tick
            )
        for _ in range(stepped):
            self._move(state, instrument, sigma, lot, tick)
        state.step = step
        return state

    def _move(
        self, state: _PathState, instrument: ListedInstrument, sigma: float, lot: int, tick: int
    ) -> None:
        shock = state.rng.gauss(0.0, 1.0)
        price = _round_to(int(state.price * (1.0 + sigma * shock)), tick)
        if state.upper:
            price = min(max(price, state.lower), state.upper)
        state.price = max(price, tick)
        state.high = max(state.high, state.price)
        state.low = min(state.low, state.price)
        if instrument.is_index:
            return
        quantity = lot * (1 + int(state.rng.expovariate(0.2)))
        state.last_quantity = quantity
        state.volume += quantity
        state.turnover += quantity * state.price
        if state.oi:
            state.oi = max(0, state.oi + lot * round(shock * 3))
            state.oi_high = max(state.oi_high, state.oi)
            state.oi_low = min(state.oi_low, state.oi)

    def _snapshot(
        self, instrument: ListedInstrument, state: _PathState, instant: datetime
    ) -> Quote:
        tick = self._tick(instrument)
        if instrument.is_index:
            bids, asks = (), ()
        else:
            bids, asks = synthetic_depth(
                self._seed,
                instrument.instrument_token,
                state.step,
                state.price,
                tick,
                max(instrument.lot_size, 1),
            )
        depth_factor = 1 + mix(self._seed, instrument.instrument_token, state.step) % 7
        state.snapshot = Quote(
            instrument_token=instrument.instrument_token,
            sequence=state.step,
            timestamp=instant.replace(microsecond=0),
            last_price=state.price,
            last_quantity=state.last_quantity,
            average_price=state.turnover // state.volume if state.volume else state.price,
            volume=state.volume,
            buy_quantity=sum(level[1] for level in bids) * depth_factor,
            sell_quantity=sum(level[1] for level in asks) * (8 - depth_factor),
            open=state.open,
            high=state.high,
            low=state.low,
            close=state.close,
            oi=state.oi,
            oi_day_high=state.oi_high,
            oi_day_low=state.oi_low,
            lower_circuit=state.lower,
            upper_circuit=state.upper,
            bids=bids,
            asks=asks,
        )
        return state.snapshot


def _round_to(paise: int, tick: int) -> int:
    return (paise + tick // 2) // tick * tick


def _set_bands(state: _PathState, percent: int, tick: int) -> None:
    if percent <= 0:
        state.lower = state.upper = 0
        return
    width = state.close * percent // 100
    state.lower = _round_to(state.close - width, tick)
    state.upper = _round_to(state.close + width, tick)


def _roll_day(state: _PathState, day: int, percent: int, tick: int) -> None:
    state.day = day
    state.close = state.price
    state.open = state.high = state.low = state.price
    state.volume = state.turnover = state.last_quantity = 0
    state.oi_high = state.oi_low = state.oi
    _set_bands(state, percent, tick)
