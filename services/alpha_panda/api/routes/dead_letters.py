"""Inspect dead-lettered records (admin only: payloads may carry order details)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.schemas import DeadLetterView
from alpha_panda.api.security import Admin
from alpha_panda.core.topics import is_dlq

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"])


@router.get("", response_model=list[DeadLetterView])
async def dead_letters(
    dependencies: Annotated[ApiDependencies, Depends(api_dependencies)],
    _: Admin,
    topic: Annotated[str, Query(min_length=5, max_length=249, description="a `.dlq` topic")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterView]:
    """Return records of one dead-letter topic, oldest first."""
    if not is_dlq(topic):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{topic!r} is not a dead-letter topic"
        )
    return await dependencies.read_model.dead_letters(topic, limit)
