"""A frozen Kite simulator in-process, the official client on it, and validated signals."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from kiteconnect import KiteConnect

from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.streaming import Outgoing
from alpha_panda.domain.signals import Signal, ValidatedSignal
from alpha_panda.domain.values import IST, OrderType, Side
from kite_sim import KiteSimulator, SimulatorConfig
from kite_sim.rate_limits import RateLimiter
from tests.integration.core.processors import Source

INFY = 408065
SESSION = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
"""A Wednesday mid-session; the simulator's clock stays frozen there."""


def frozen_simulator(**overrides: object) -> KiteSimulator:
    settings: dict[str, object] = {"speed": 0.0, "start": SESSION, "seed": 7, "rate_limits": {}}
    settings.update(overrides)
    return KiteSimulator(SimulatorConfig(**settings))  # type: ignore[arg-type]


class ScriptedLimiter(RateLimiter):
    """The simulator's limiter without limits, refusing (429) what a script says, counting all.

    `script[endpoint_class]` lists the coming requests' fates, True to allow; once a class's
    list is used up its requests are allowed.
    """

    def __init__(self, **script: list[bool]) -> None:
        super().__init__({})
        self.script = script
        self.allowed: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    def allow(self, api_key: str, endpoint_class: str) -> bool:
        fates = self.script.get(endpoint_class)
        allowed = fates.pop(0) if fates else True
        (self.allowed if allowed else self.refused)[endpoint_class] += 1
        return allowed


def zerodha_cli_environment(
    simulator: KiteSimulator, kite: KiteConnect, postgres_dsn: str, unique: str
) -> dict[str, str]:
    """Return the environment an `alpha-panda` command of the zerodha namespace runs with."""
    settings = {
        "NAMESPACE": "zerodha",
        "TOPIC_PREFIX": f"t{unique}.",
        "GROUP_PREFIX": f"t{unique}.zerodha",
        "POSTGRES_DSN": postgres_dsn,
        "KITE_API_KEY": simulator.api_key,
        "KITE_ACCESS_TOKEN": kite.access_token,
        "KITE_ROOT": simulator.urls.rest,
    }
    return {f"ALPHA_PANDA_{name}": value for name, value in settings.items()}


def client(simulator: KiteSimulator) -> KiteConnect:
    """Return the official client on a fresh session of the simulator."""
    token = simulator.login().access_token
    return KiteConnect(simulator.api_key, access_token=token, root=simulator.urls.rest)


def validated(
    side: Side = Side.BUY,
    quantity: int = 10,
    *,
    token: int = INFY,
    order_type: OrderType = OrderType.MARKET,
    limit_price: str | None = None,
    tradingsymbol: str = "",
    second: int = 0,
) -> ValidatedSignal:
    signal = Signal(
        strategy_id="live-infy",
        instrument_token=token,
        tradingsymbol=tradingsymbol,
        side=side,
        quantity=quantity,
        order_type=order_type,
        limit_price=Decimal(limit_price) if limit_price else None,
        reference_price=Decimal("1542.80"),
        generated_at=SESSION + timedelta(seconds=second),
    )
    return ValidatedSignal(signal=signal, checks_passed=("max_position",))


class SignalSource(Source):
    """Publishes validated signals, as the risk manager does."""

    async def send_signal(self, signal: ValidatedSignal) -> EventEnvelope:
        topic = self.settings.topics.signals_validated
        [sent] = await self.send([Outgoing(topic, EventType.SIGNAL_VALIDATED, signal)])
        return sent
