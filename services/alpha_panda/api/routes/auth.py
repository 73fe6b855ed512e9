"""Exchange an API user's password for a short-lived access token, throttling guesses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.errors import error_responses
from alpha_panda.api.schemas import LoginRequest, TokenResponse

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=error_responses(401, 422, 429, 503))
async def issue_token(
    login: LoginRequest,
    request: Request,
    dependencies: Annotated[ApiDependencies, Depends(api_dependencies)],
) -> TokenResponse:
    """Return an access token for valid credentials; 401 for any wrong username or password.

    Too many attempts for one username or from one client address within the configured window
    answer 429 with `Retry-After`, before the password is even checked.
    """
    address = request.client.host if request.client else "unknown"
    throttle = dependencies.login_throttle
    wait = await throttle.attempt(login.username, address)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many login attempts; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    role = await dependencies.users.authenticate(login.username, login.password)
    if role is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown user or wrong password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await throttle.succeeded(login.username, address)
    issued = dependencies.jwt_manager.issue(login.username, role)
    return TokenResponse(access_token=issued.token, expires_at=issued.expires_at)
