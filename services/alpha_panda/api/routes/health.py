"""Probe endpoints for Kubernetes and the detailed health report for operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import Readiness
from alpha_panda.api.security import Viewer

router = APIRouter(tags=["health"])

Dependencies = Annotated[ApiDependencies, Depends(api_dependencies)]


@router.get("/healthz")
async def alive() -> dict[str, str]:
    """Answer while the process runs (liveness probe; no token needed)."""
    return {"status": "alive"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A critical check fails"}},
)
async def ready(dependencies: Dependencies) -> JSONResponse:
    """Answer 200 when every critical check passes, else 503 (readiness probe; no details)."""
    report = await dependencies.readiness.report()
    body = Readiness(ready=report.ready).model_dump()
    return JSONResponse(body, status_code=200 if report.ready else 503)


@router.get("/api/v1/health", responses=error_responses(401, 503))
async def health_report(dependencies: Dependencies, _: Viewer) -> dict[str, Any]:
    """Return every check's result, with how to fix each failure."""
    report = await dependencies.readiness.report()
    return report.to_dict()
