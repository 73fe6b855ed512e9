"""Issue and verify API access tokens (JWT) with python-jose, pinned algorithms and key rotation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jose import jws, jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from alpha_panda.auth.keys import KeyRing
from alpha_panda.auth.roles import Role
from alpha_panda.auth.settings import AuthSettings

Clock = Callable[[], datetime]

_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")


class InvalidTokenError(Exception):
    """A token was refused; the message says why without quoting the token."""


@dataclass(frozen=True)
class TokenClaims:
    """What a verified access token says about its bearer."""

    subject: str
    role: Role
    token_id: str
    issued_at: datetime
    expires_at: datetime
    key_id: str


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token and the instant it expires."""

    token: str = field(repr=False)
    expires_at: datetime


class JwtManager:
    """Sign tokens with the active key; verify with the key named by `kid`, on its own algorithm.

    The algorithm is never taken from a token: each `kid` maps to one key and one algorithm, so
    `alg: none` and HMAC-with-a-public-key forgeries fail before any signature check.
    """

    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        audience: str,
        lifetime: timedelta,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._lifetime = lifetime
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> JwtManager:
        """Build the manager from the auth settings' keys, issuer, audience and lifetime."""
        return cls(
            settings.key_ring(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            lifetime=timedelta(seconds=settings.access_token_ttl_seconds),
        )

    def issue(self, subject: str, role: Role) -> IssuedToken:
        """Return a signed access token for `subject` acting with `role`."""
        key = self._keys.active
        assert key.signer is not None  # KeyRing refuses an active key that cannot sign
        now = self._clock()
        expires_at = now + self._lifetime
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "role": role.value,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        token: str = jwt.encode(
            claims, key.signer, algorithm=key.algorithm, headers={"kid": key.kid}
        )
        return IssuedToken(token=token, expires_at=expires_at)

    def verify(self, token: str) -> TokenClaims:
        """Return the claims of a valid token; raise InvalidTokenError for any other token."""
        try:
            header = jws.get_unverified_header(token)
        except JOSEError:
            raise InvalidTokenError("token is malformed") from None
        kid = header.get("kid")
        key = self._keys.find(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError("token names no known signing key")
        if header.get("alg") != key.algorithm:
            raise InvalidTokenError("token algorithm does not match its signing key")
        try:
            claims = jwt.decode(
                token,
                key.verifier,
                algorithms=[key.algorithm],
                audience=self._audience,
                issuer=self._issuer,
                options={f"require_{name}": True for name in _REQUIRED_CLAIMS},
            )
        except ExpiredSignatureError:
            raise InvalidTokenError("token has expired") from None
        except JWTClaimsError as error:
            raise InvalidTokenError(f"token claims are invalid: {error}") from None
        except JOSEError:
            raise InvalidTokenError("token signature is invalid") from None
        return _claims_of(claims, key.kid)


def _claims_of(claims: dict[str, object], kid: str) -> TokenClaims:
    try:
        role = Role(str(claims["role"]))
        return TokenClaims(
            subject=str(claims["sub"]),
            role=role,
            token_id=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(int(str(claims["iat"])), UTC),
            expires_at=datetime.fromtimestamp(int(str(claims["exp"])), UTC),
            key_id=kid,
        )
    except (KeyError, ValueError):
        raise InvalidTokenError("token carries no valid role") from None
