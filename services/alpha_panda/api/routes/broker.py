"""The Kite login redirect: send the browser to Kite and take the request token it returns.

These routes carry no bearer token (a browser redirect cannot): the request token is single-use,
only this platform's API secret can exchange it, and the session must belong to the configured
Kite user.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import RedirectResponse

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.ports import BrokerLogin
from alpha_panda.api.schemas import BrokerSessionView
from alpha_panda.auth.broker_session import BrokerSessionError

router = APIRouter(prefix="/api/v1/broker", tags=["broker session"])


def _broker_login(
    dependencies: Annotated[ApiDependencies, Depends(api_dependencies)],
) -> BrokerLogin:
    if dependencies.broker_login is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the Kite login callback is not enabled")
    return dependencies.broker_login


Login = Annotated[BrokerLogin, Depends(_broker_login)]


_NOT_ENABLED = "The Kite login callback is not enabled in this process"


@router.get(
    "/login",
    response_class=RedirectResponse,
    status_code=status.HTTP_307_TEMPORARY_REDIRECT,
    responses=error_responses(404, not_found=_NOT_ENABLED),
)
async def start_login(login: Login) -> RedirectResponse:
    """Redirect the browser to the Kite login page."""
    return RedirectResponse(login.login_url(), status_code=status.HTTP_307_TEMPORARY_REDIRECT)


@router.get(
    "/login-callback",
    response_model=BrokerSessionView,
    responses=error_responses(400, 404, 422, 503, not_found=_NOT_ENABLED),
)
async def finish_login(
    login: Login,
    request_token: Annotated[str, Query(min_length=1, max_length=128)],
    status_: Annotated[str, Query(alias="status")] = "success",
) -> BrokerSessionView:
    """Exchange the redirect's request token for the namespace's broker session."""
    if status_ != "success":
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Kite login ended with {status_!r}")
    try:
        session = await login.complete_login(request_token)
    except BrokerSessionError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    return BrokerSessionView(user_id=session.user_id, expires_at=session.expires_at)
