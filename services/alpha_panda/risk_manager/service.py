"""Validate or reject raw signals with the pure risk engine under the definitions stream;
apply kill-switch commands."""

from __future__ import annotations

from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.streaming import NOTHING, Outgoing, Outputs, Snapshot, Subscription
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled
from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.strategies.config import StrategyDefined, StrategyRemoved


class RiskManager:
    """The namespace's risk engine between strategies and the trading engine."""

    def __init__(self, topics: TopicMap, engine: RiskEngine) -> None:
        self.topics = topics
        self.namespace = topics.namespace
        self.engine = engine
        self.subscription = Subscription(
            topics=[
                topics.market_ticks,
                topics.signals_raw,
                topics.orders_filled,
                topics.orders_failed,
                topics.control,
                topics.strategies,
            ],
            latest_only=[topics.market_ticks],  # the engine keeps only the last price
            # A definition fetched with its strategy's first signal is in force when it is
            # judged; a pause fetched with a signal stops it.
            first=[topics.strategies],
        )
        self._changed = False

    def restore(self, snapshot: Snapshot | None) -> None:
        """Restore positions, daily counters and halts saved by a previous run."""
        if snapshot:
            self.engine.restore(snapshot)

    def snapshot(self) -> Snapshot | None:
        """Return positions, counters and halts if a signal, fill or command moved them."""
        if not self._changed:
            return None
        self._changed = False
        return self.engine.snapshot()

    def deduplicates(self, event: EventEnvelope) -> bool:
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Outputs:
        """Judge signals, book fills and failures, apply definitions and commands; ticks only
        update prices."""
        data = event.data
        if isinstance(data, Tick):
            self.engine.on_tick(data)
            return NOTHING
        self._changed = True
        if isinstance(data, Signal):
            return Outputs([self._verdict(self.engine.evaluate(data))])
        if isinstance(data, OrderFilled):
            self.engine.on_fill(data)
            return NOTHING
        if isinstance(data, OrderFailed):  # what will not fill stops counting as in flight
            self.engine.on_order_failed(data)
            return NOTHING
        if isinstance(data, StrategyDefined):
            config = data.config
            if config.namespace != self.namespace:
                raise ValueError(
                    f"a definition of namespace {config.namespace} on {self.namespace}"
                )
            self.engine.apply_definition(
                config.strategy_id,
                config.risk_limits,
                paused=config.paused,
                generation=data.generation,
            )
            return Outputs(records=[data])  # the `strategies` projection follows the stream
        if isinstance(data, StrategyRemoved):
            self.engine.remove_strategy(data.strategy_id)
            return Outputs(records=[data])
        if isinstance(data, ControlCommand):
            return Outputs([self._verdict(closing) for closing in self._apply(data)])
        raise TypeError(f"unexpected {event.type} on the risk manager's topics")

    def _apply(self, command: ControlCommand) -> list[ValidatedSignal]:
        if command.action is ControlAction.RESUME:
            self.engine.resume(command.strategy_id)
            return []
        return self.engine.halt(
            command.reason or "kill switch",
            strategy_id=command.strategy_id,
            square_off=command.square_off,
            at=command.issued_at,
        )

    def _verdict(self, verdict: ValidatedSignal | RejectedSignal) -> Outgoing:
        if isinstance(verdict, ValidatedSignal):
            return Outgoing(self.topics.signals_validated, EventType.SIGNAL_VALIDATED, verdict)
        return Outgoing(self.topics.signals_rejected, EventType.SIGNAL_REJECTED, verdict)
