"""Broker sessions at rest in Redis, encrypted with Fernet and expiring with the token."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import redis.asyncio as redis
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from alpha_panda.auth.broker_session import BrokerSession, SessionSource
from alpha_panda.domain.values import Namespace

log = logging.getLogger(__name__)


class EncryptedSessionStore:
    """Keep one namespace's broker session in Redis; only ciphertext ever reaches Redis."""

    def __init__(self, client: redis.Redis, key: SecretStr, namespace: Namespace) -> None:
        self._client = client
        self._fernet = Fernet(key.get_secret_value())
        self._key = f"{namespace.value}:broker_session"

    async def save(self, session: BrokerSession) -> None:
        """Store the session until its expiry; Redis drops it at 06:00 IST."""
        plain = json.dumps(
            {
                "api_key": session.api_key,
                "access_token": session.access_token.get_secret_value(),
                "user_id": session.user_id,
                "login_time": session.login_time.isoformat(),
                "expires_at": session.expires_at.isoformat(),
            }
        )
        await self._client.set(
            self._key, self._fernet.encrypt(plain.encode()), exat=session.expires_at
        )

    async def load(self) -> BrokerSession | None:
        """Return the stored session, or None when none is stored or it cannot be decrypted."""
        stored = await self._client.get(self._key)
        if stored is None:
            return None
        try:
            fields = json.loads(self._fernet.decrypt(stored))
        except InvalidToken:
            log.warning("stored broker session at %s cannot be decrypted; ignoring it", self._key)
            return None
        return BrokerSession(
            api_key=fields["api_key"],
            access_token=SecretStr(fields["access_token"]),
            user_id=fields["user_id"],
            login_time=datetime.fromisoformat(fields["login_time"]),
            expires_at=datetime.fromisoformat(fields["expires_at"]),
            source=SessionSource.STORE,
        )

    async def clear(self) -> None:
        """Forget the stored session."""
        await self._client.delete(self._key)
