"""Publish kill-switch commands to a namespace's control topic for its risk manager."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from alpha_panda.core.events import EventType
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.values import Namespace


class ControlPublisher(StreamProcessor):
    """A source-only processor: consumes nothing, emits one command per call."""

    async def publish(
        self, namespace: Namespace, action: ControlAction, strategy_id: str, reason: str
    ) -> ControlCommand:
        """Send `action` for one strategy and return once Kafka has acknowledged it."""
        command = ControlCommand(
            action=action, strategy_id=strategy_id, reason=reason, issued_at=datetime.now(UTC)
        )
        # The API serves every namespace; each namespace's risk manager reads its own topic.
        topics = replace(self.settings.topics, namespace=namespace)
        await self._emit_event(
            Outgoing(
                topics.control,
                EventType.CONTROL_COMMAND,
                command,
                key=strategy_id,
                namespace=namespace.value,
            )
        )
        await self.flush()
        return command
