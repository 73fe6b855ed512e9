"""Manage the namespace's Kite broker session: load it, confirm it, renew it by login callback.

The access token always comes from outside: the environment or a mounted Secret file (as the
BrokerSession resource provides), the encrypted store, or the login callback. Nothing prompts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kiteconnect import KiteConnect
from kiteconnect.exceptions import KiteException
from pydantic import SecretStr

from alpha_panda.auth.broker_session import (
    BrokerSession,
    BrokerSessionError,
    SessionSource,
    session_expiry,
)
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.session_store import EncryptedSessionStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
KiteFactory = Callable[..., KiteConnect]


class AuthManager:
    """Hold the one broker session of a process and keep it honest with the broker."""

    def __init__(
        self,
        *,
        api_key: str,
        kite_root: str,
        external_token: Callable[[], SecretStr],
        scrubber: SecretScrubber,
        store: EncryptedSessionStore | None = None,
        api_secret: SecretStr | None = None,
        expected_user_id: str | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        kite_factory: KiteFactory = KiteConnect,
    ) -> None:
        if not api_key:
            raise BrokerSessionError("no Kite API key: set ALPHA_PANDA_KITE_API_KEY")
        self._api_key = api_key
        self._kite_root = kite_root
        self._external_token = external_token
        self._scrubber = scrubber
        self._store = store
        self._api_secret = api_secret
        self._expected_user_id = expected_user_id
        self._clock = clock
        self._kite_factory = kite_factory
        self._session: BrokerSession | None = None
        if api_secret is not None:
            scrubber.add(api_secret)

    @property
    def session(self) -> BrokerSession | None:
        """Return the current session, if any was loaded or created."""
        return self._session

    async def load(self) -> BrokerSession:
        """Take the stored session if still valid, else the externally provided access token."""
        now = self._clock()
        stored = await self._store.load() if self._store is not None else None
        if stored is not None and stored.api_key == self._api_key and not stored.is_expired(now):
            return self._adopt(stored)
        token = self._external_token()
        if not token.get_secret_value():
            raise BrokerSessionError(
                "no Kite access token: set ALPHA_PANDA_KITE_ACCESS_TOKEN or"
                " ALPHA_PANDA_KITE_ACCESS_TOKEN_FILE, or log in through the login callback"
            )
        return self._adopt(
            BrokerSession(
                api_key=self._api_key,
                access_token=token,
                user_id=None,
                login_time=now,
                expires_at=session_expiry(now),
                source=SessionSource.ENVIRONMENT,
            )
        )

    async def validate_session(self) -> str:
        """Confirm the session with a profile call; return a description, raise if invalid."""
        session = self._session or await self.load()
        if session.is_expired(self._clock()):
            raise BrokerSessionError(
                f"the session expired at {session.expires_at.isoformat()} (06:00 IST)"
            )
        profile = await self._call(session.access_token, "profile")
        user_id = str(profile.get("user_id", ""))
        self._check_user(user_id)
        return f"user {user_id} until {session.expires_at.isoformat()}"

    def login_url(self) -> str:
        """Return the Kite login URL whose redirect carries the request token."""
        return str(self._kite(None).login_url())

    async def complete_login(self, request_token: str) -> BrokerSession:
        """Exchange a login callback's request token for a session, then store it encrypted."""
        if self._api_secret is None:
            raise BrokerSessionError(
                "login callback disabled: set ALPHA_PANDA_AUTH_KITE_API_SECRET to enable it"
            )
        secret = self._api_secret
        answer = await self._call(
            None, "generate_session", request_token, api_secret=secret.get_secret_value()
        )
        self._check_user(str(answer.get("user_id", "")))
        now = self._clock()
        session = BrokerSession(
            api_key=self._api_key,
            access_token=SecretStr(str(answer["access_token"])),
            user_id=str(answer.get("user_id")),
            login_time=now,
            expires_at=session_expiry(now),
            source=SessionSource.LOGIN_CALLBACK,
        )
        if self._store is not None:
            await self._store.save(session)
        log.info("broker session created for user %s until %s", session.user_id, session.expires_at)
        return self._adopt(session)

    def _adopt(self, session: BrokerSession) -> BrokerSession:
        self._scrubber.add(session.access_token)
        self._session = session
        return session

    def _check_user(self, user_id: str) -> None:
        if self._expected_user_id is not None and user_id != self._expected_user_id:
            raise BrokerSessionError(
                f"the session belongs to Kite user {user_id!r}, not {self._expected_user_id!r}"
                " (ALPHA_PANDA_AUTH_KITE_USER_ID)"
            )

    def _kite(self, token: SecretStr | None) -> KiteConnect:
        access = token.get_secret_value() if token is not None else None
        return self._kite_factory(self._api_key, access_token=access, root=self._kite_root)

    async def _call(self, token: SecretStr | None, method: str, *args: Any, **kwargs: Any) -> Any:
        client = self._kite(token)
        try:
            return await asyncio.to_thread(getattr(client, method), *args, **kwargs)
        except KiteException as error:
            raise BrokerSessionError(
                f"Kite refused {method} ({type(error).__name__}, HTTP {error.code}):"
                f" {self._scrubber.scrub(str(error))}"
            ) from None
        except OSError as error:
            raise BrokerSessionError(
                f"cannot reach Kite at {self._kite_root} ({type(error).__name__})"
            ) from None
