"""List trading strategies; pause and resume them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import STRATEGY_NAME, StrategyView
from alpha_panda.api.security import Trader, Viewer
from alpha_panda.domain.values import Namespace

router = APIRouter(prefix="/api/v1/strategies", tags=["strategies"])

Dependencies = Annotated[ApiDependencies, Depends(api_dependencies)]
StrategyId = Annotated[str, Path(pattern=STRATEGY_NAME, description="strategy name")]


@router.get("", response_model=list[StrategyView], responses=error_responses(401, 422, 503))
async def list_strategies(
    dependencies: Dependencies, _: Viewer, namespace: Namespace | None = None
) -> list[StrategyView]:
    """Return the strategies, optionally of one namespace."""
    return await dependencies.strategies.list_strategies(namespace)


async def _set_paused(
    dependencies: ApiDependencies, strategy_id: str, paused: bool
) -> StrategyView:
    strategy = await dependencies.strategies.set_paused(strategy_id, paused)
    if strategy is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no strategy named {strategy_id!r}")
    return strategy


_CONTROL_ERRORS = error_responses(401, 403, 404, 422, 503, not_found="No strategy of that name")


@router.post("/{strategy_id}/pause", response_model=StrategyView, responses=_CONTROL_ERRORS)
async def pause_strategy(
    strategy_id: StrategyId, dependencies: Dependencies, _: Trader
) -> StrategyView:
    """Stop a strategy from emitting signals; its positions stay as they are."""
    return await _set_paused(dependencies, strategy_id, paused=True)


@router.post("/{strategy_id}/resume", response_model=StrategyView, responses=_CONTROL_ERRORS)
async def resume_strategy(
    strategy_id: StrategyId, dependencies: Dependencies, _: Trader
) -> StrategyView:
    """Let a paused strategy emit signals again."""
    return await _set_paused(dependencies, strategy_id, paused=False)
