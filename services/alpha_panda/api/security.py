"""Bearer-token authentication and role checks: 401 when unauthenticated, 403 when not allowed.

A token is only as good as its user: every request looks the subject up in the user store, so a
disabled or deleted user is refused from its next request and a changed role applies at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alpha_panda.api.dependencies import ApiDependencies, api_dependencies
from alpha_panda.auth.jwt_manager import InvalidTokenError, TokenClaims
from alpha_panda.auth.roles import Role

_bearer = HTTPBearer(auto_error=False, description="access token from POST /api/v1/auth/token")


async def authenticated(
    dependencies: Annotated[ApiDependencies, Depends(api_dependencies)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    """Return the bearer's verified claims with the user's current role; answer 401 otherwise."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer access token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        claims = dependencies.jwt_manager.verify(credentials.credentials)
    except InvalidTokenError as error:
        raise _invalid_token(str(error)) from None
    role = await dependencies.users.active_role(claims.subject)
    if role is None:
        raise _invalid_token("the token's user is disabled or no longer exists")
    return replace(claims, role=role)


def _invalid_token(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        reason,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def require_role(role: Role) -> Callable[[TokenClaims], Awaitable[TokenClaims]]:
    """Return a dependency that admits bearers of `role` or a more privileged one (else 403)."""

    async def check(claims: Annotated[TokenClaims, Depends(authenticated)]) -> TokenClaims:
        if not claims.role.permits(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this action needs the {role} role")
        return claims

    return check


Viewer = Annotated[TokenClaims, Depends(require_role(Role.VIEWER))]
Trader = Annotated[TokenClaims, Depends(require_role(Role.TRADER))]
Admin = Annotated[TokenClaims, Depends(require_role(Role.ADMIN))]
