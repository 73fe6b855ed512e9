"""The API's strategy port: strategies listed from their projection, paused through the
definitions stream (the one kill switch the runner and the risk manager obey)."""

from __future__ import annotations

from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.api.schemas import StrategyView
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace


class StrategyControl:
    """List strategies; pause or resume one by publishing its definition with `paused` set.

    Idempotent, so a failed call can simply be repeated. The API writes the projection row of
    the definition it published, as the risk manager does when it applies it.
    """

    def __init__(self, repository: StrategyRepository, definitions: DefinitionPublisher) -> None:
        self._repository = repository
        self._definitions = definitions

    async def list_strategies(self, namespace: Namespace | None) -> list[StrategyView]:
        """Return the defined strategies, of one namespace or of all."""
        return [_view(config) for config in await self._repository.list(namespace)]

    async def set_paused(self, strategy_id: str, paused: bool) -> StrategyView | None:
        """Publish the strategy's definition with `paused`; None for an unknown strategy."""
        for namespace in Namespace:
            defined = await self._definitions.set_paused(strategy_id, namespace, paused)
            if defined is not None:  # the projection shows what was just published
                await self._repository.upsert(defined.config)
                return _view(defined.config)
        return None


def _view(config: StrategyConfig) -> StrategyView:
    return StrategyView(
        strategy_id=config.strategy_id,
        strategy_type=config.strategy_type,
        namespace=config.namespace,
        instruments=config.instruments,
        paused=config.paused,
    )
