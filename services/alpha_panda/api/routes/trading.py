"""Read-only views of a namespace's portfolio, positions, orders, fills, P&L and risk
rejections."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import STRATEGY_NAME, OrderView, PnlCurve, RejectionView
from alpha_panda.api.security import Viewer
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary
from alpha_panda.domain.values import Namespace

router = APIRouter(
    prefix="/api/v1/{namespace}", tags=["trading"], responses=error_responses(401, 422, 503)
)

Dependencies = Annotated[ApiDependencies, Depends(api_dependencies)]
StrategyFilter = Annotated[str | None, Query(pattern=STRATEGY_NAME, description="strategy name")]
Limit = Annotated[int, Query(ge=1, le=1000, description="most recent first")]


@router.get(
    "/portfolio",
    response_model=NamespaceSummary,
    responses=error_responses(404, not_found="No fill in the namespace yet"),
)
async def portfolio(
    namespace: Namespace, dependencies: Dependencies, _: Viewer
) -> NamespaceSummary:
    """Return the namespace's cash, equity, exposure and P&L totals."""
    summary = await dependencies.read_model.portfolio(namespace)
    if summary is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no portfolio yet in {namespace}")
    return summary


@router.get("/positions", response_model=list[PositionView])
async def positions(
    namespace: Namespace, dependencies: Dependencies, _: Viewer, strategy_id: StrategyFilter = None
) -> list[PositionView]:
    """Return open positions, optionally of one strategy."""
    return await dependencies.read_model.positions(namespace, strategy_id)


@router.get("/orders", response_model=list[OrderView])
async def orders(
    namespace: Namespace,
    dependencies: Dependencies,
    _: Viewer,
    strategy_id: StrategyFilter = None,
    limit: Limit = 100,
) -> list[OrderView]:
    """Return recent orders with their status."""
    return await dependencies.read_model.orders(namespace, strategy_id, limit)


@router.get("/fills", response_model=list[OrderFilled])
async def fills(
    namespace: Namespace,
    dependencies: Dependencies,
    _: Viewer,
    strategy_id: StrategyFilter = None,
    limit: Limit = 100,
) -> list[OrderFilled]:
    """Return recent fills."""
    return await dependencies.read_model.fills(namespace, strategy_id, limit)


@router.get("/pnl", response_model=list[StrategySummary])
async def pnl(namespace: Namespace, dependencies: Dependencies, _: Viewer) -> list[StrategySummary]:
    """Return realised and unrealised P&L per strategy."""
    return await dependencies.read_model.pnl(namespace)


@router.get("/pnl/curve", response_model=PnlCurve)
async def pnl_curve(
    namespace: Namespace,
    dependencies: Dependencies,
    _: Viewer,
    day: Annotated[
        date | None,
        Query(description="IST trading day, YYYY-MM-DD; the latest day with a curve if absent"),
    ] = None,
) -> PnlCurve:
    """Return net P&L over the trading day in exchange time, in total and per strategy.

    One point per 15 s of exchange time, the last figures of each step, as the portfolio
    manager computed them; empty before the day's first fill or tick.
    """
    return await dependencies.read_model.pnl_curve(namespace, day)


@router.get("/rejections", response_model=list[RejectionView])
async def rejections(
    namespace: Namespace, dependencies: Dependencies, _: Viewer, limit: Limit = 50
) -> list[RejectionView]:
    """Return the signals the risk manager refused, with the rule and the reason."""
    return await dependencies.read_model.rejections(namespace, limit)
