"""A namespace's operational status: every service's readiness and the broker session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from alpha_panda.adapters.redis.service_health import ServiceHealth
from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import BrokerSessionStatus
from alpha_panda.api.security import Viewer
from alpha_panda.domain.values import Namespace

router = APIRouter(
    prefix="/api/v1/{namespace}", tags=["status"], responses=error_responses(401, 422)
)

Dependencies = Annotated[ApiDependencies, Depends(api_dependencies)]
API_SERVICE = "api"


@router.get("/services", response_model=list[ServiceHealth])
async def services(
    namespace: Namespace, dependencies: Dependencies, _: Viewer
) -> list[ServiceHealth]:
    """Return each service's last readiness report, the API's own (checked now) included.

    A service shows while it reports every few seconds; one that stopped is absent.
    """
    reported = await dependencies.read_model.services(namespace)
    own = ServiceHealth.from_report(API_SERVICE, await dependencies.readiness.report())
    others = [health for health in reported if health.service != API_SERVICE]
    return sorted([own, *others], key=lambda health: health.service)


@router.get(
    "/broker-session",
    response_model=BrokerSessionStatus,
    responses=error_responses(404, not_found="This API process knows no session of the namespace"),
)
async def broker_session(
    namespace: Namespace, dependencies: Dependencies, _: Viewer
) -> BrokerSessionStatus:
    """Return whose Kite session the namespace trades on and when it expires; never the token."""
    known = dependencies.broker_sessions
    session = await known.current(namespace) if known is not None else None
    if session is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"this API process knows no broker session for {namespace}",
        )
    return session
