"""Run one configured strategy over the market topic and publish its signals."""

from __future__ import annotations

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
from alpha_panda.domain.signals import Signal
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
            settings, input_topics=[topics.market_ticks, topics.orders_filled], ledger=ledger
        )
        self.config = config
        self.strategy: Strategy[Any, Any] = build_strategy(
            config.strategy_id, config.strategy_type, config.instruments, config.parameters
        )
        self._positions_changed = False

    def restore(self, snapshot: dict[str, Any] | None) -> None:
        """Restore the holdings saved by a previous run."""
        if snapshot:
            self.strategy.restore_positions({int(k): v for k, v in snapshot["positions"].items()})

    def deduplicates(self, event: EventEnvelope) -> bool:
        # A redelivered tick re-emits signals with the same ids, which the risk manager drops.
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        data = event.data
        if isinstance(data, Tick):
            if self.config.paused:
                return []
            return [
                Outgoing(self.settings.topics.signals_raw, EventType.SIGNAL_RAW, s, signal_key(s))
                for s in self.strategy.on_tick(data)
            ]
        if isinstance(data, OrderFilled) and data.strategy_id == self.config.strategy_id:
            self.strategy.on_fill(data)
            self._positions_changed = True
        return []

    def state_writer(self) -> StateWriter | None:
        if not self._positions_changed:
            return None
        self._positions_changed = False
        return state_writer(self.settings.consumer_group, {"positions": self.strategy.positions()})
