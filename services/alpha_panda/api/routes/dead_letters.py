"""Inspect dead-lettered records (admin only: payloads may carry order details)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AfterValidator

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import DeadLetterView
from alpha_panda.api.security import Admin
from alpha_panda.core.topics import is_dlq

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"])


def _dead_letter_topic(topic: str) -> str:
    if not is_dlq(topic):
        raise ValueError("not a dead-letter topic (its name ends in .dlq)")
    return topic


@router.get(
    "",
    response_model=list[DeadLetterView],
    responses=error_responses(
        401, 403, 404, 422, 503, not_found="No dead-letter topic of that name"
    ),
)
async def dead_letters(
    dependencies: Annotated[ApiDependencies, Depends(api_dependencies)],
    _: Admin,
    topic: Annotated[
        str,
        Query(max_length=249, pattern=r"^[A-Za-z0-9._-]+$", description="a `.dlq` topic"),
        AfterValidator(_dead_letter_topic),
    ],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterView]:
    """Return records of one dead-letter topic, oldest first."""
    letters = await dependencies.read_model.dead_letters(topic, limit)
    if letters is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no dead-letter topic of that name")
    return letters
