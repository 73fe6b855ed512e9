"""What the API can tell of its namespace's Kite broker session: whose it is and when it dies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import SecretStr

from alpha_panda.api.schemas import BrokerSessionStatus
from alpha_panda.auth.broker_session import SessionSource, session_expiry
from alpha_panda.auth.session_store import EncryptedSessionStore
from alpha_panda.domain.values import Namespace

Clock = Callable[[], datetime]


class KnownBrokerSessions:
    """Describe the session a login callback stored, else the configured access token's.

    A token from the environment or a mounted file carries no login time; like every Kite
    token it dies at the next 06:00 IST, which is the expiry shown.
    """

    def __init__(
        self,
        namespace: Namespace,
        external_token: Callable[[], SecretStr],
        store: EncryptedSessionStore | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._namespace = namespace
        self._external_token = external_token
        self._store = store
        self._clock = clock

    async def current(self, namespace: Namespace) -> BrokerSessionStatus | None:
        """Return the namespace's session, or None when this API process knows none."""
        if namespace is not self._namespace:
            return None
        now = self._clock()
        stored = await self._store.load() if self._store is not None else None
        if stored is not None:
            return BrokerSessionStatus(
                namespace=namespace,
                source=stored.source,
                user_id=stored.user_id,
                login_time=stored.login_time,
                expires_at=stored.expires_at,
                expired=stored.is_expired(now),
            )
        try:
            token = self._external_token()
        except OSError:  # the mounted token file is missing or unreadable
            return None
        if not token.get_secret_value():
            return None
        return BrokerSessionStatus(
            namespace=namespace,
            source=SessionSource.ENVIRONMENT,
            user_id=None,
            login_time=None,
            expires_at=session_expiry(now),
            expired=False,
        )
