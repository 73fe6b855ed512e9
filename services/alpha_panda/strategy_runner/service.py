"""Run one defined strategy over the market topic and publish its signals."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.streaming import NOTHING, Outgoing, Outputs, Snapshot, Subscription
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.signals import RejectedSignal
from alpha_panda.domain.strategies.base import Strategy
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined, StrategyRemoved
from alpha_panda.domain.strategies.registry import build_strategy

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the wall-clock time in UTC."""
    return datetime.now(UTC)


class StrategyRunner:
    """Feed ticks and this strategy's fills to a pure strategy; publish what it signals.

    The strategy's own definition on the definitions stream pauses, resumes or retires it. A
    new runner starts `warmup_seconds` back on the market topic; a tick causes a signal only
    while it is fresh, its age being how long ago it was published (so a backlog of old ticks,
    however they are stamped, only warms the indicators).
    """

    def __init__(
        self,
        topics: TopicMap,
        config: StrategyConfig,
        *,
        warmup_seconds: float = 300.0,
        clock: Clock = utc_now,
    ) -> None:
        self.topics = topics
        self.strategy_config = config
        self.clock = clock
        self.strategy: Strategy[Any, Any] = build_strategy(
            config.strategy_id, config.strategy_type, config.instruments, config.parameters
        )
        self.subscription = Subscription(
            topics=[
                topics.market_ticks,
                topics.orders_filled,
                topics.signals_rejected,
                topics.strategies,
            ],
            # Ticks are keyed by instrument, definitions by strategy: the others' are skipped
            # without being decoded.
            only_keys={
                topics.market_ticks: [str(token) for token in config.instruments],
                topics.strategies: [config.strategy_id],
            },
            recent_only={topics.market_ticks: warmup_seconds},
        )

    @property
    def paused(self) -> bool:
        """Tell whether the strategy's definition holds it paused."""
        return self.strategy_config.paused

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
        """Signal on fresh ticks (unless paused); learn from fills, rejections, definitions."""
        data = event.data
        if isinstance(data, Tick):
            if self.paused:
                return NOTHING
            published_ago = self.clock() - event.timestamp
            signals = self.strategy.on_tick(data, data.exchange_timestamp + published_ago)
            if not signals:
                return NOTHING
            raw = self.topics.signals_raw
            return Outputs([Outgoing(raw, EventType.SIGNAL_RAW, s) for s in signals])
        own = self.strategy_config.strategy_id
        if isinstance(data, OrderFilled) and data.strategy_id == own:
            self.strategy.on_fill(data)
        elif isinstance(data, RejectedSignal):
            self.strategy.on_rejected(data.signal)
        elif isinstance(data, StrategyDefined) and data.config.strategy_id == own:
            self.strategy_config = self.strategy_config.model_copy(
                update={"paused": data.config.paused}
            )
        elif isinstance(data, StrategyRemoved) and data.strategy_id == own:
            self.strategy_config = self.strategy_config.model_copy(update={"paused": True})
        return NOTHING
