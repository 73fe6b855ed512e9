"""Read a namespace's status from the API over HTTP, with errors a user can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from pydantic import TypeAdapter, ValidationError

from alpha_panda.adapters.redis.service_health import ServiceHealth
from alpha_panda.api.schemas import BrokerSessionStatus, InstrumentView, StrategyView
from alpha_panda.domain.portfolio.summary import PositionView, StrategySummary
from alpha_panda.domain.values import Namespace
from alpha_panda.status.snapshot import StatusSnapshot

Clock = Callable[[], datetime]
EXAMPLE_URL = "http://127.0.0.1:8000"


class StatusError(Exception):
    """The status cannot be shown; the message says why and what to do."""


class StatusClient:
    """Call the API's read endpoints with a bearer token."""

    def __init__(
        self,
        base_url: str,
        http: aiohttp.ClientSession,
        token: str | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        address = urlsplit(base_url)
        if address.scheme not in ("http", "https") or not address.netloc:
            raise StatusError(f"{base_url!r} is not an API address; give one like {EXAMPLE_URL}")
        self._base_url = base_url.rstrip("/")
        self._http = http
        self._token = token
        self._clock = clock

    async def log_in(self, username: str, password: str) -> None:
        """Exchange a username and password for the token the other calls carry."""
        body = await self._call(
            "POST", "/api/v1/auth/token", json={"username": username, "password": password}
        )
        self._token = str(body["access_token"])

    async def snapshot(self, namespace: Namespace) -> StatusSnapshot:
        """Read strategies, P&L, positions, services and the broker session concurrently."""
        if self._token is None:
            raise StatusError(
                "no API token: pass --token or set ALPHA_PANDA_API_TOKEN (or --user with"
                " ALPHA_PANDA_API_PASSWORD)"
            )
        prefix = f"/api/v1/{namespace.value}"
        strategies, pnl, positions, services, session = await asyncio.gather(
            self._call("GET", "/api/v1/strategies", params={"namespace": namespace.value}),
            self._call("GET", f"{prefix}/pnl"),
            self._call("GET", f"{prefix}/positions"),
            self._call("GET", f"{prefix}/services"),
            self._call("GET", f"{prefix}/broker-session", missing_ok=True),
        )
        try:
            held = TypeAdapter(list[PositionView]).validate_python(positions)
            return StatusSnapshot(
                api_url=self._base_url,
                namespace=namespace,
                taken_at=self._clock(),
                strategies=TypeAdapter(list[StrategyView]).validate_python(strategies),
                pnl=TypeAdapter(list[StrategySummary]).validate_python(pnl),
                positions=held,
                services=TypeAdapter(list[ServiceHealth]).validate_python(services),
                broker_session=None
                if session is None
                else BrokerSessionStatus.model_validate(session),
                symbols=await self._symbols({p.instrument_token for p in held if p.quantity}),
            )
        except ValidationError as error:
            raise StatusError(
                f"the API at {self._base_url} answered in an unexpected shape"
                f" ({error.error_count()} problem(s)); is it an Alpha Panda API of this version?"
            ) from None

    async def _symbols(self, tokens: set[int]) -> dict[int, str]:
        """Return `SYMBOL EXCHANGE` by token; without an instruments master, no symbol (the
        screen then shows tokens, as it must not fail over a name)."""
        if not tokens:
            return {}
        try:
            listed = await self._call(
                "GET", "/api/v1/instruments", params=[("token", t) for t in sorted(tokens)]
            )
        except StatusError:
            return {}
        views = TypeAdapter(list[InstrumentView]).validate_python(listed)
        return {view.instrument_token: f"{view.tradingsymbol} {view.exchange}" for view in views}

    async def _call(self, method: str, path: str, missing_ok: bool = False, **options: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        url = f"{self._base_url}{path}"
        try:
            async with self._http.request(method, url, headers=headers, **options) as response:
                if response.status == 404 and missing_ok:
                    return None
                if response.status >= 400:
                    raise StatusError(_refusal(url, response.status, await _detail(response)))
                return await response.json()
        except aiohttp.ClientConnectionError as error:
            raise StatusError(
                f"cannot reach the API at {self._base_url} ({type(error).__name__}); check --url"
                " (or ALPHA_PANDA_API_URL) and that the API runs, e.g. `kubectl port-forward"
                " svc/alpha-panda-api 8000:80` for a cluster"
            ) from None
        except (aiohttp.ContentTypeError, ValueError):
            raise StatusError(
                f"{url} did not answer with JSON: is that the API's address?"
            ) from None
        except TimeoutError:
            raise StatusError(f"the API at {self._base_url} did not answer in time") from None


async def _detail(response: aiohttp.ClientResponse) -> str:
    try:
        body = await response.json()
    except (aiohttp.ContentTypeError, ValueError):
        return response.reason or ""
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else response.reason or ""


def _refusal(url: str, code: int, detail: str) -> str:
    if code == 401:
        return (
            f"the API refused the credentials (401: {detail}); log in again for a new token"
            " (tokens are short-lived)"
        )
    if code == 403:
        return f"the API refused access (403: {detail}); the status needs the viewer role"
    return f"{url} answered {code}: {detail}"
