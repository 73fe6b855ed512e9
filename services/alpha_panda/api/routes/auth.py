"""Exchange an API user's password for a short-lived access token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.api.schemas import LoginRequest, TokenResponse

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse)
async def issue_token(
    login: LoginRequest, dependencies: Annotated[ApiDependencies, Depends(api_dependencies)]
) -> TokenResponse:
    """Return an access token for valid credentials; 401 for any wrong username or password."""
    role = await dependencies.users.authenticate(login.username, login.password)
    if role is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown user or wrong password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    issued = dependencies.jwt_manager.issue(login.username, role)
    return TokenResponse(access_token=issued.token, expires_at=issued.expires_at)
