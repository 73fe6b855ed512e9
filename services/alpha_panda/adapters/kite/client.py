"""The official Kite Connect REST client, called off the event loop with Kite's errors mapped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming.retry import FatalError, TransientError

Result = TypeVar("Result")


class SessionExpiredError(FatalError):
    """Kite refused the access token (HTTP 403): nothing more can be traded on this session."""


def kite_client(settings: Settings) -> KiteConnect:
    """Return the official client for the configured API key, access token and root URL."""
    token = settings.access_token().get_secret_value()
    return KiteConnect(settings.kite_api_key, access_token=token, root=settings.kite_root)


async def call_kite(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run one blocking client call in a worker thread.

    A rejected token halts the caller (`SessionExpiredError`); a rate limit (HTTP 429) or a
    network failure is a `TransientError`, retried with backoff. Every other Kite error is
    raised as the client raised it.
    """
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except kite_errors.TokenException:
        raise SessionExpiredError(
            "Kite refused the access token (HTTP 403 TokenException): renew the session"
        ) from None
    except (kite_errors.NetworkException, requests.RequestException) as error:
        raise TransientError(f"Kite call failed, worth retrying: {type(error).__name__}") from error
