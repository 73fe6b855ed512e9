"""The API's strategy port: strategies listed from their projection, paused through the one
kill switch the runner and the risk manager obey: the definitions stream, or under the operator
the TradingStrategy resource it publishes them from."""

from __future__ import annotations

from typing import Any

from alpha_panda.adapters.kubernetes.strategy_resources import StrategyResources
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

    def __init__(
        self,
        repository: StrategyRepository,
        definitions: DefinitionPublisher,
        resources: StrategyResources | None = None,
    ) -> None:
        """With `resources` (under the operator) a pause patches the TradingStrategy instead:
        a definition published beside the operator would be undone by its next one."""
        self._repository = repository
        self._definitions = definitions
        self._resources = resources

    async def list_strategies(self, namespace: Namespace | None) -> list[StrategyView]:
        """Return the defined strategies, of one namespace or of all."""
        return [_view(config) for config in await self._repository.list(namespace)]

    async def set_paused(self, strategy_id: str, paused: bool) -> StrategyView | None:
        """Publish the strategy's definition with `paused`; None for an unknown strategy."""
        if self._resources is not None:
            resource = await self._resources.set_paused(strategy_id, paused)
            return None if resource is None else _resource_view(resource)
        for namespace in Namespace:
            defined = await self._definitions.set_paused(strategy_id, namespace, paused)
            if defined is not None:  # the projection shows what was just published
                await self._repository.upsert(defined.config)
                return _view(defined.config)
        return None


def _resource_view(resource: dict[str, Any]) -> StrategyView:
    spec = resource["spec"]
    return StrategyView(
        strategy_id=resource["metadata"]["name"],
        strategy_type=spec["strategyType"],
        namespace=Namespace(spec["namespace"]),
        instruments=tuple(item["instrumentToken"] for item in spec.get("instruments", [])),
        paused=bool(spec.get("paused", False)),
    )


def _view(config: StrategyConfig) -> StrategyView:
    return StrategyView(
        strategy_id=config.strategy_id,
        strategy_type=config.strategy_type,
        namespace=config.namespace,
        instruments=config.instruments,
        paused=config.paused,
    )
