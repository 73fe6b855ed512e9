"""Validate or reject raw signals with the pure risk engine; apply kill-switch commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alpha_panda.adapters.postgres.state import state_writer
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.strategy_runner.service import signal_key


class RiskManager(StreamProcessor):
    """The namespace's risk engine between strategies and the trading engine."""

    def __init__(self, settings: Settings, ledger: ProcessedLedger, engine: RiskEngine) -> None:
        topics = settings.topics
        super().__init__(
            settings,
            input_topics=[
                topics.market_ticks,
                topics.signals_raw,
                topics.orders_filled,
                topics.control,
            ],
            latest_only=[topics.market_ticks],  # the engine keeps only the last price
            ledger=ledger,
        )
        self.engine = engine
        self._changed = False

    def restore(self, snapshot: dict[str, Any] | None) -> None:
        """Restore positions, daily counters and halts saved by a previous run."""
        if snapshot:
            self.engine.restore(snapshot)

    def deduplicates(self, event: EventEnvelope) -> bool:
        return event.type is not EventType.MARKET_TICK

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        data = event.data
        if isinstance(data, Tick):
            self.engine.on_tick(data)
            return []
        self._changed = True
        if isinstance(data, Signal):
            return [self._verdict(self.engine.evaluate(data))]
        if isinstance(data, OrderFilled):
            self.engine.on_fill(data)
            return []
        if isinstance(data, ControlCommand):
            return [self._verdict(closing) for closing in self._apply(data)]
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
        topics = self.settings.topics
        key = signal_key(verdict.signal)
        if isinstance(verdict, ValidatedSignal):
            return Outgoing(topics.signals_validated, EventType.SIGNAL_VALIDATED, verdict, key)
        return Outgoing(topics.signals_rejected, EventType.SIGNAL_REJECTED, verdict, key)

    def state_writer(self) -> StateWriter | None:
        if not self._changed:
            return None
        self._changed = False
        return state_writer(self.settings.consumer_group, self.engine.snapshot())
