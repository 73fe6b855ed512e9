"""Enable the Kite login callback in the API process when its secrets are configured."""

from __future__ import annotations

import redis.asyncio as redis

from alpha_panda.auth.auth_manager import AuthManager
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.session_store import EncryptedSessionStore
from alpha_panda.auth.settings import ENV_PREFIX as AUTH_ENV_PREFIX
from alpha_panda.auth.settings import AuthSettings
from alpha_panda.core.settings import Settings, SettingsError


def broker_login(
    settings: Settings, auth: AuthSettings, client: redis.Redis, scrubber: SecretScrubber
) -> AuthManager | None:
    """Return the namespace's session manager, or None while no Kite API secret is set.

    The callback's session must reach the trading processes, so it is only enabled together
    with the encrypted store they load it from.
    """
    if auth.kite_api_secret is None:
        return None
    if not settings.kite_api_key:
        raise SettingsError("the Kite login callback needs ALPHA_PANDA_KITE_API_KEY")
    if auth.session_encryption_key is None:
        raise SettingsError(
            f"the Kite login callback needs {AUTH_ENV_PREFIX}SESSION_ENCRYPTION_KEY to store"
            " the session for the trading processes"
        )
    return AuthManager(
        api_key=settings.kite_api_key,
        kite_root=settings.kite_root,
        external_token=settings.access_token,
        scrubber=scrubber,
        store=EncryptedSessionStore(client, auth.session_encryption_key, settings.namespace),
        api_secret=auth.kite_api_secret,
        expected_user_id=auth.kite_user_id,
    )
