"""Dead-lettered records: their reasons for every viewer, payloads and replay for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AfterValidator

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import DeadLetterView, ReplayResult
from alpha_panda.api.security import Admin, Viewer
from alpha_panda.core.topics import is_dlq
from alpha_panda.domain.values import Namespace

router = APIRouter(tags=["dead letters"])

Dependencies = Annotated[ApiDependencies, Depends(api_dependencies)]
_NOT_FOUND = "No dead-letter topic of that name"


def _dead_letter_topic(topic: str) -> str:
    if not is_dlq(topic):
        raise ValueError("not a dead-letter topic (its name ends in .dlq)")
    return topic


DeadLetterTopic = Annotated[
    str,
    Query(max_length=249, pattern=r"^[A-Za-z0-9._-]+$", description="a `.dlq` topic"),
    AfterValidator(_dead_letter_topic),
]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get(
    "/api/v1/dead-letters",
    response_model=list[DeadLetterView],
    responses=error_responses(401, 403, 404, 422, 503, not_found=_NOT_FOUND),
)
async def dead_letters(
    dependencies: Dependencies, _: Admin, topic: DeadLetterTopic, limit: Limit = 100
) -> list[DeadLetterView]:
    """Return records of one dead-letter topic with their payloads, oldest first."""
    letters = await dependencies.read_model.dead_letters(topic, limit)
    if letters is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no dead-letter topic of that name")
    return letters


@router.get(
    "/api/v1/{namespace}/dead-letters",
    response_model=list[DeadLetterView],
    responses=error_responses(401, 422, 503),
)
async def namespace_dead_letters(
    namespace: Namespace, dependencies: Dependencies, _: Viewer, limit: Limit = 50
) -> list[DeadLetterView]:
    """Return the newest dead letters of every topic the namespace reads, newest first, with
    why each failed; payloads are left out (admins read them per topic)."""
    return await dependencies.read_model.namespace_dead_letters(namespace, limit)


@router.post(
    "/api/v1/dead-letters/replay",
    response_model=ReplayResult,
    responses=error_responses(401, 403, 404, 422, 503, not_found=_NOT_FOUND),
)
async def replay(
    dependencies: Dependencies, _: Admin, topic: DeadLetterTopic, limit: Limit = 1000
) -> ReplayResult:
    """Put the topic's dead letters not replayed before back on the topic they failed on.

    What was replayed, here or by `alpha-panda dlq replay`, is remembered and never sent twice.
    """
    replayed = await dependencies.dead_letter_replay.replay(topic, limit)
    if replayed is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no dead-letter topic of that name")
    return ReplayResult(topic=topic, replayed=replayed)
