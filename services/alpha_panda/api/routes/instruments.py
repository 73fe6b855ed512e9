"""Trading symbols and exchanges of instrument tokens, from the broker's instruments master."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import RETRY_UNAVAILABLE_SECONDS, error_responses
from alpha_panda.api.instruments import InstrumentsUnavailableError
from alpha_panda.api.schemas import InstrumentView
from alpha_panda.api.security import Viewer

router = APIRouter(prefix="/api/v1/instruments", tags=["instruments"])

MAX_TOKENS = 500


@router.get("", response_model=list[InstrumentView], responses=error_responses(401, 422, 503))
async def instruments(
    dependencies: Annotated[ApiDependencies, Depends(api_dependencies)],
    _: Viewer,
    token: Annotated[
        list[Annotated[int, Query(gt=0)]],
        Query(min_length=1, max_length=MAX_TOKENS, description="instrument tokens, repeated"),
    ],
) -> list[InstrumentView]:
    """Return each listed instrument's trading symbol and exchange; unlisted tokens are left
    out. The master is the day's Kite instruments dump; without a configured Kite it is empty."""
    try:
        return await dependencies.instruments.lookup(token)
    except InstrumentsUnavailableError as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"{error}; try again shortly",
            headers={"Retry-After": str(RETRY_UNAVAILABLE_SECONDS)},
        ) from None
