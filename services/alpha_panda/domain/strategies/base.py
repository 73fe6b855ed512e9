"""The strategy contract: validated parameters in, signals out, time taken from the tick."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import Field

from alpha_panda.domain.market import Instrument, Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import Frozen, Side

LONG = 1
FLAT = 0
SHORT = -1
SNAPSHOT_VERSION = 1


class StrategyParameters(Frozen):
    """Parameters every strategy accepts; subclasses add their own."""

    quantity: int = Field(default=1, gt=0, description="Shares per entry.")
    cooldown_seconds: int = Field(
        default=60, ge=0, description="Exchange-time seconds between two signals per instrument."
    )
    allow_short: bool = Field(default=False, description="Sell short instead of staying flat.")
    signal_timeout_seconds: int = Field(
        default=10,
        gt=0,
        description="Exchange-time seconds a signal's quantity counts as on its way; what has"
        " not been filled by then (refused by risk, failed) is given up and asked for again.",
    )
    warmup_ticks: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="Ticks per instrument after a start that only warm the indicators.",
    )
    max_tick_age_seconds: int = Field(
        default=60,
        gt=0,
        description="Oldest a tick may be, against the time the strategy is given, to cause"
        " a signal; older ticks only warm the indicators.",
    )


ParametersT = TypeVar("ParametersT", bound=StrategyParameters)
StateT = TypeVar("StateT")


class _Slot(Generic[StateT]):
    """Everything a strategy keeps about one instrument, reached with a single lookup."""

    __slots__ = (
        "exchange",
        "last_signal_at",
        "pending",
        "pending_since",
        "position",
        "state",
        "tradingsymbol",
        "warmup",
    )

    def __init__(self, state: StateT, tradingsymbol: str, exchange: str) -> None:
        self.state = state
        self.tradingsymbol = tradingsymbol
        self.exchange = exchange
        self.position = 0
        self.pending = 0
        """Signed quantity signalled but not filled yet."""
        self.pending_since: datetime | None = None
        self.last_signal_at: datetime | None = None
        self.warmup = 0
        """Ticks still to come that only warm the indicators (counted from each start)."""

    def settle(self, quantity: int) -> None:
        """Take a signed quantity that was on its way (filled or refused) off `pending`."""
        if self.pending > 0 and quantity > 0:
            self.pending = max(0, self.pending - quantity)
        elif self.pending < 0 and quantity < 0:
            self.pending = min(0, self.pending - quantity)


class Strategy(ABC, Generic[ParametersT, StateT]):
    """Turn ticks into signals for a fixed set of instruments, one state object per instrument.

    A subclass updates its indicators in `decide` and returns the exposure it wants (LONG,
    FLAT or SHORT) or None when it has no opinion. The base class compares that wish with the
    position known from fills plus the quantity still on its way, and emits at most one
    signal per instrument per cooldown. Counting what is on its way keeps a strategy from
    asking again for a quantity already asked for while fills lag (a backlog, a slow venue);
    what has not been filled within `signal_timeout_seconds` (refused by risk, failed) is given
    up, so the target is asked for again.

    Indicators learn from every tick, but a tick emits nothing while the instrument is still
    warming up (the first `warmup_ticks` ticks since the strategy was built or restored) or
    when it is older than `max_tick_age_seconds` against the `now` the caller passes, so a
    runner that starts behind the market never trades on old prices.
    """

    parameters_model: ClassVar[type[StrategyParameters]]

    def __init__(
        self,
        strategy_id: str,
        instruments: Iterable[int | Instrument],
        parameters: ParametersT,
    ) -> None:
        self.strategy_id = strategy_id
        self.parameters = parameters
        self._slots: dict[int, _Slot[StateT]] = {}
        for instrument in instruments:
            if isinstance(instrument, Instrument):
                self._slots[instrument.instrument_token] = _Slot(
                    self.new_state(), instrument.tradingsymbol, instrument.exchange
                )
            else:
                self._slots[instrument] = _Slot(self.new_state(), "", "NSE")
        self._cooldown = timedelta(seconds=parameters.cooldown_seconds)
        self._signal_timeout = timedelta(seconds=parameters.signal_timeout_seconds)
        self._max_tick_age = timedelta(seconds=parameters.max_tick_age_seconds)
        self._warm_up()
        # Plain copies: reading a field of a pydantic model costs several times more per tick.
        self._quantity = parameters.quantity
        self._allow_short = parameters.allow_short

    @property
    def instruments(self) -> tuple[int, ...]:
        """Return the instrument tokens this strategy trades."""
        return tuple(self._slots)

    def position(self, instrument_token: int) -> int:
        """Return the signed quantity held in an instrument, as known from fills."""
        slot = self._slots.get(instrument_token)
        return slot.position if slot else 0

    @abstractmethod
    def new_state(self) -> StateT:
        """Return a fresh indicator state for one instrument."""

    @abstractmethod
    def dump_state(self, state: StateT) -> Any:
        """Return an instrument's indicator state as JSON-able data."""

    @abstractmethod
    def load_state(self, data: Any) -> StateT:
        """Rebuild an indicator state from `dump_state` output (lengths follow the
        current parameters, so a changed window keeps the most recent prices)."""

    @abstractmethod
    def decide(self, state: StateT, price: Decimal, position: int) -> int | None:
        """Update the state with a price; return the wanted exposure or None.

        `position` is the signed quantity held, for exits that depend on which side
        the strategy is on.
        """

    def on_tick(self, tick: Tick, now: datetime | None = None) -> list[Signal]:
        """Feed one tick; return the signals it causes (usually none).

        `now` is the instant the tick is handled at; a tick older than the maximum age
        against it causes no signal. Without it, no tick counts as old (a backtest).
        """
        token = tick.instrument_token
        slot = self._slots.get(token)
        if slot is None:
            return []
        held = slot.position
        price = tick.last_price
        wanted = self.decide(slot.state, price, held)
        if slot.warmup:
            slot.warmup -= 1
            return []
        if wanted is None:
            return []
        stamp = tick.exchange_timestamp
        if now is not None and now - stamp > self._max_tick_age:
            return []
        if wanted == SHORT and not self._allow_short:
            wanted = FLAT
        pending, since = slot.pending, slot.pending_since
        if pending and since is not None and stamp - since >= self._signal_timeout:
            pending = slot.pending = 0
        delta = wanted * self._quantity - held - pending
        if delta == 0:
            return []
        last = slot.last_signal_at
        if last is not None and stamp - last < self._cooldown:
            return []
        slot.last_signal_at = stamp
        slot.pending = pending + delta
        slot.pending_since = stamp
        return [
            Signal(
                strategy_id=self.strategy_id,
                instrument_token=token,
                tradingsymbol=slot.tradingsymbol,
                exchange=slot.exchange,
                side=Side.BUY if delta > 0 else Side.SELL,
                quantity=abs(delta),
                reference_price=price,
                generated_at=stamp,
                reason=f"{type(self).__name__}: target {wanted:+d}",
            )
        ]

    def on_fill(self, fill: OrderFilled) -> None:
        """Update the known position from one of this strategy's fills."""
        slot = self._slots.get(fill.instrument_token)
        if slot is None or fill.strategy_id != self.strategy_id:
            return
        filled = fill.side.sign * fill.quantity
        slot.position += filled
        slot.settle(filled)

    def on_rejected(self, signal: Signal) -> None:
        """Give up the quantity of one of this strategy's signals that risk refused."""
        slot = self._slots.get(signal.instrument_token)
        if slot is None or signal.strategy_id != self.strategy_id:
            return
        slot.settle(signal.side.sign * signal.quantity)

    def snapshot(self) -> bytes:
        """Return positions, cooldown clocks and indicators as compact, sorted JSON bytes."""
        instruments = {
            str(token): {
                "position": slot.position,
                "pending": slot.pending,
                "pending_since": None
                if slot.pending_since is None
                else slot.pending_since.isoformat(),
                "last_signal_at": None
                if slot.last_signal_at is None
                else slot.last_signal_at.isoformat(),
                "state": self.dump_state(slot.state),
            }
            for token, slot in self._slots.items()
        }
        data = {"version": SNAPSHOT_VERSION, "instruments": instruments}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def restore(self, snapshot: bytes) -> None:
        """Continue from a `snapshot`; instruments no longer configured are ignored."""
        data = json.loads(snapshot)
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported strategy snapshot version {data.get('version')}")
        for token, saved in data["instruments"].items():
            slot = self._slots.get(int(token))
            if slot is None:
                continue
            slot.position = int(saved["position"])
            slot.pending = int(saved.get("pending", 0))  # absent from earlier snapshots
            since = saved.get("pending_since")
            slot.pending_since = None if since is None else datetime.fromisoformat(since)
            stamp = saved["last_signal_at"]
            slot.last_signal_at = None if stamp is None else datetime.fromisoformat(stamp)
            slot.state = self.load_state(saved["state"])
        self._warm_up()

    def _warm_up(self) -> None:
        """Start every instrument's warm-up: its next ticks only feed the indicators."""
        for slot in self._slots.values():
            slot.warmup = self.parameters.warmup_ticks
