"""Run one configured strategy over the market topic and publish its signals."""

from __future__ import annotations

import base64
from typing import Any

from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.streaming import NOTHING, Outgoing, Outputs, Snapshot, Subscription
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.signals import RejectedSignal
from alpha_panda.domain.strategies.base import Strategy
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.strategies.registry import build_strategy


class StrategyRunner:
    """Feed ticks and this strategy's fills to a pure strategy; publish what it signals."""

    def __init__(self, topics: TopicMap, config: StrategyConfig) -> None:
        self.topics = topics
        self.strategy_config = config
        self.strategy: Strategy[Any, Any] = build_strategy(
            config.strategy_id, config.strategy_type, config.instruments, config.parameters
        )
        self.subscription = Subscription(
            topics=[topics.market_ticks, topics.orders_filled, topics.signals_rejected],
            # Ticks are keyed by instrument: the others' are skipped without being decoded.
            only_keys={topics.market_ticks: [str(token) for token in config.instruments]},
        )

    def restore(self, snapshot: Snapshot | None) -> None:
        """Continue with the indicators and holdings saved by a previous run."""
        if snapshot:
            self.strategy.restore(base64.b64decode(snapshot["strategy"]))

    def snapshot(self) -> Snapshot:
        """Return the indicators and holdings: they move with every tick, so always."""
        return {"strategy": base64.b64encode(self.strategy.snapshot()).decode()}

    def deduplicates(self, event: EventEnvelope) -> bool:
        # A redelivered tick re-emits signals with the same ids, which the risk manager drops.
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Outputs:
        """Signal on ticks (unless paused); learn from this strategy's fills and rejections."""
        data = event.data
        if isinstance(data, Tick):
            if self.strategy_config.paused:
                return NOTHING
            signals = self.strategy.on_tick(data)
            if not signals:
                return NOTHING
            raw = self.topics.signals_raw
            return Outputs([Outgoing(raw, EventType.SIGNAL_RAW, s) for s in signals])
        if isinstance(data, OrderFilled) and data.strategy_id == self.strategy_config.strategy_id:
            self.strategy.on_fill(data)
        elif isinstance(data, RejectedSignal):
            self.strategy.on_rejected(data.signal)
        return NOTHING
