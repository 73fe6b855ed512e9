"""Kite's login flow: single-use request tokens, checksummed exchange, expiring access tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from kite_sim.clock import SimulatedClock, token_expiry
from kite_sim.errors import InputError, TokenError

REQUEST_TOKEN_SECONDS = 300.0


@dataclass
class Session:
    """A logged-in session of one API key."""

    api_key: str
    user_id: str
    access_token: str
    public_token: str
    refresh_token: str
    login_time: datetime
    expires_at: datetime
    revoked: bool = False


def checksum(api_key: str, request_token: str, api_secret: str) -> str:
    """Return Kite's session checksum: hex SHA-256 of key, request token and secret."""
    return hashlib.sha256(f"{api_key}{request_token}{api_secret}".encode()).hexdigest()


class SessionStore:
    """Issue and check tokens for the configured API keys (key -> secret)."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        clock: SimulatedClock,
        user_id: str = "AP0001",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = dict(credentials)
        self._clock = clock
        self._monotonic = monotonic
        self.user_id = user_id
        self._request_tokens: dict[str, tuple[str, float]] = {}
        self._sessions: dict[str, Session] = {}

    def knows(self, api_key: str) -> bool:
        """Return whether an API key is configured."""
        return api_key in self._credentials

    def issue_request_token(self, api_key: str) -> str:
        """Log the user in for `api_key` and return a single-use request token."""
        if not self.knows(api_key):
            raise InputError("Invalid `api_key`.")
        token = secrets.token_urlsafe(24)
        self._request_tokens[token] = (api_key, self._monotonic() + REQUEST_TOKEN_SECONDS)
        return token

    def exchange(self, api_key: str, request_token: str, given_checksum: str) -> Session:
        """Trade a request token and its checksum for a session; the token is spent either way."""
        if not self.knows(api_key):
            raise InputError("Invalid `api_key`.")
        issued = self._request_tokens.pop(request_token, None)
        if issued is None or issued[0] != api_key or issued[1] < self._monotonic():
            raise TokenError("Token is invalid or has expired.")
        expected = checksum(api_key, request_token, self._credentials[api_key])
        if not hmac.compare_digest(expected, given_checksum):
            raise TokenError("Invalid checksum.")
        now = self._clock.now()
        session = Session(
            api_key=api_key,
            user_id=self.user_id,
            access_token=secrets.token_urlsafe(24),
            public_token=secrets.token_hex(16),
            refresh_token=secrets.token_urlsafe(24),
            login_time=now,
            expires_at=token_expiry(now),
        )
        self._sessions[session.access_token] = session
        return session

    def add_session(self, api_key: str) -> Session:
        """Create a session directly, skipping the login redirect (for tests and demos)."""
        token = self.issue_request_token(api_key)
        return self.exchange(api_key, token, checksum(api_key, token, self._credentials[api_key]))

    def authenticate(self, api_key: str, access_token: str) -> Session:
        """Return the live session behind `api_key:access_token`, or raise TokenError."""
        session = self._sessions.get(access_token)
        if session is None or session.api_key != api_key or session.revoked:
            raise TokenError("Incorrect `api_key` or `access_token`.")
        if self._clock.now() >= session.expires_at:
            raise TokenError("Token is invalid or has expired.")
        return session

    def revoke(self, access_token: str) -> None:
        """Invalidate one access token (logout)."""
        session = self._sessions.get(access_token)
        if session is not None:
            session.revoked = True

    def expire(self, api_key: str | None = None) -> list[str]:
        """Expire every session (of one API key, if given) now; return the access tokens hit."""
        now = self._clock.now()
        hit = []
        for session in self._sessions.values():
            if (api_key is None or session.api_key == api_key) and session.expires_at > now:
                session.expires_at = now
                hit.append(session.access_token)
        return hit
