"""Publish kill-switch commands to a namespace's control topic for its risk manager."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from alpha_panda.core.events import EventType
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Outgoing, Publisher
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.values import Namespace


class ControlPublisher:
    """An event source: one command per call, acknowledged before the call returns."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._publisher = Publisher(
            settings.kafka_bootstrap,
            source=settings.service_name,
            namespace=settings.namespace.value,
        )

    async def start(self) -> None:
        """Connect to Kafka."""
        await self._publisher.start()

    async def close(self) -> None:
        """Deliver what was published and disconnect."""
        await self._publisher.close()

    async def publish(
        self, namespace: Namespace, action: ControlAction, strategy_id: str, reason: str
    ) -> ControlCommand:
        """Send `action` for one strategy and return once Kafka has acknowledged it."""
        command = ControlCommand(
            action=action, strategy_id=strategy_id, reason=reason, issued_at=datetime.now(UTC)
        )
        # The API serves every namespace; each namespace's risk manager reads its own topic.
        topics = replace(self.settings.topics, namespace=namespace)
        control = Outgoing(
            topics.control, EventType.CONTROL_COMMAND, command, namespace=namespace.value
        )
        await self._publisher.publish([control])
        await self._publisher.flush()
        return command
