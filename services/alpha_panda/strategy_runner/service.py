"""Run one configured strategy over the market topic and publish its signals."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from alpha_panda.adapters.postgres.state import state_writer
from alpha_panda.adapters.postgres.strategies import StrategyConfig
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.signals import RejectedSignal, Signal
from alpha_panda.domain.strategies.base import Strategy
from alpha_panda.domain.strategies.registry import build_strategy


def signal_key(signal: Signal) -> str:
    """Partition key of signals and orders: per strategy and instrument, never a timestamp."""
    return f"{signal.strategy_id}:{signal.instrument_token}"


class StrategyRunner(StreamProcessor):
    """Feed ticks and this strategy's fills to a pure strategy; publish what it signals."""

    def __init__(self, settings: Settings, ledger: ProcessedLedger, config: StrategyConfig) -> None:
        topics = settings.topics
        super().__init__(
            settings,
            input_topics=[topics.market_ticks, topics.orders_filled, topics.signals_rejected],
            # Ticks are keyed by instrument: the others' are skipped without being decoded.
            only_keys={topics.market_ticks: [str(token) for token in config.instruments]},
            ledger=ledger,
        )
        self.strategy_config = config
        self.strategy: Strategy[Any, Any] = build_strategy(
            config.strategy_id, config.strategy_type, config.instruments, config.parameters
        )

    def restore(self, snapshot: dict[str, Any] | None) -> None:
        """Continue with the indicators and holdings saved by a previous run."""
        if snapshot:
            self.strategy.restore(base64.b64decode(snapshot["strategy"]))

    def deduplicates(self, event: EventEnvelope) -> bool:
        # A redelivered tick re-emits signals with the same ids, which the risk manager drops.
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        data = event.data
        if isinstance(data, Tick):
            if self.strategy_config.paused:
                return []
            return [
                Outgoing(self.settings.topics.signals_raw, EventType.SIGNAL_RAW, s, signal_key(s))
                for s in self.strategy.on_tick(data)
            ]
        if isinstance(data, OrderFilled) and data.strategy_id == self.strategy_config.strategy_id:
            self.strategy.on_fill(data)
        elif isinstance(data, RejectedSignal):
            self.strategy.on_rejected(data.signal)
        return []

    def state_writer(self) -> StateWriter:
        # Indicators move with every tick, so every batch saves them.
        snapshot = base64.b64encode(self.strategy.snapshot()).decode()
        return state_writer(self.settings.consumer_group, {"strategy": snapshot})
