"""The official Kite Connect REST client, called off the event loop with Kite's errors mapped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from alpha_panda.adapters.kite.pacing import PLACEMENTS, RequestPacer, rate_class_of
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming.retry import FatalError, TransientError

Result = TypeVar("Result")
SERVER_ERROR = 500


class SessionExpiredError(FatalError):
    """Kite refused the access token (HTTP 403): nothing more can be traded on this session."""


class KiteUnavailableError(TransientError):
    """Kite gave no usable answer: rate limited (429), a 5xx, a timeout, a dropped connection.

    A read can simply be tried again; a write (an order placement) may or may not have taken
    effect at the broker, so its outcome must be looked up before anything else is done.
    """


def kite_client(settings: Settings) -> KiteConnect:
    """Return the official client for the configured API key, access token and root URL."""
    token = settings.access_token().get_secret_value()
    return KiteConnect(settings.kite_api_key, access_token=token, root=settings.kite_root)


def unavailable(error: BaseException) -> bool:
    """Tell whether a client error means Kite gave no usable answer rather than a refusal."""
    if isinstance(error, kite_errors.NetworkException | kite_errors.DataException):
        return True
    if isinstance(error, kite_errors.GeneralException):
        return int(error.code) >= SERVER_ERROR
    return isinstance(error, requests.RequestException)


async def call_kite(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run one blocking client call in a worker thread.

    A rejected token halts the caller (`SessionExpiredError`); no usable answer (see
    `unavailable`) is a `KiteUnavailableError`, which is transient. Every other Kite error is
    raised as the client raised it.
    """
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except kite_errors.TokenException:
        raise SessionExpiredError(
            "Kite refused the access token (HTTP 403 TokenException): renew the session"
        ) from None
    except Exception as error:
        if unavailable(error):
            code = getattr(error, "code", "")
            raise KiteUnavailableError(
                f"Kite call {getattr(function, '__name__', 'request')} got no usable answer: "
                f"{type(error).__name__} {code}".rstrip()
            ) from error
        raise


class PacedKite:
    """The official client behind a pacer: every call waits its turn under Kite's limits."""

    def __init__(self, client: KiteConnect, pacer: RequestPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or RequestPacer()

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call the client's method `method` once its rate class allows, with errors mapped.

        Raise `DailyOrderCapReachedError`, without sending, for a placement past the day's cap.
        """
        async with self.pacer.turn(rate_class_of(method), placement=method in PLACEMENTS):
            return await call_kite(getattr(self.client, method), *args, **kwargs)


def paced_kite(settings: Settings) -> PacedKite:
    """Return the configured session's client behind a pacer of its own.

    Share the one returned between the users of an API key in a process (the trader and the
    reconciler), so they wait their turns together.
    """
    return PacedKite(kite_client(settings))
