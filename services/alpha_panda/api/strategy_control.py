"""The API's strategy port: the strategies table plus a kill-switch command on every change."""

from __future__ import annotations

from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.api.control import ControlPublisher
from alpha_panda.api.schemas import StrategyView
from alpha_panda.domain.control import ControlAction
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace


class StrategyControl:
    """List strategies; pause or resume one in the table and at its namespace's risk manager.

    The table is what a restarted runner reads; the command stops or restarts signals at the
    risk manager at once. Both are idempotent, so a failed call can simply be repeated.
    """

    def __init__(self, repository: StrategyRepository, publisher: ControlPublisher) -> None:
        self._repository = repository
        self._publisher = publisher

    async def list_strategies(self, namespace: Namespace | None) -> list[StrategyView]:
        """Return the configured strategies, of one namespace or of all."""
        return [_view(config) for config in await self._repository.list(namespace)]

    async def set_paused(self, strategy_id: str, paused: bool) -> StrategyView | None:
        """Flip the paused flag, then publish HALT or RESUME; None for an unknown strategy."""
        if not await self._repository.set_paused(strategy_id, paused):
            return None
        config = await self._repository.get(strategy_id)
        if config is None:  # deleted between the two statements
            return None
        action = ControlAction.HALT if paused else ControlAction.RESUME
        reason = "paused through the API" if paused else "resumed through the API"
        await self._publisher.publish(config.namespace, action, strategy_id, reason)
        return _view(config)


def _view(config: StrategyConfig) -> StrategyView:
    return StrategyView(
        strategy_id=config.strategy_id,
        strategy_type=config.strategy_type,
        namespace=config.namespace,
        instruments=config.instruments,
        paused=config.paused,
    )
