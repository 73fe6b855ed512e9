"""The OpenAPI document tells the truth: every response a route really sends is documented.

Each route is driven into every status its document lists (successes and 4xx alike) against the
real PostgreSQL, Redis, Kafka and the Kite simulator; openapi-core then validates each real
response's status, headers and body against the document, and the exercised statuses must be
exactly the documented ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.api.wiring import WiredApi
from alpha_panda.app.pre_trading_checks import infrastructure_checks
from alpha_panda.auth.key_generation import generate_session_encryption_key
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.roles import Role
from alpha_panda.core.health import HealthRegistry
from alpha_panda.core.topics import dlq
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.integration.api.openapi_contract import Contract, documented_responses
from tests.integration.api.stack import (
    PASSWORDS,
    api_settings,
    auth_settings,
    login,
    opened_api,
    publish_figures,
    seed_ledger,
    seed_strategies,
    seed_users,
    strategy_summary,
)
from tests.integration.app.throwaway_servers import free_port

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Case:
    """One request and the route template and status it must be answered with."""

    method: str
    template: str
    status: int
    url: str
    headers: dict[str, str] | None = None
    body: dict[str, str] | None = None


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with KiteSimulator(SimulatorConfig(user_id="AP0042")) as sim:
        yield sim


@pytest.fixture
def settings(simulator, unique, kafka_bootstrap, postgres_dsn, redis_url):
    return api_settings(
        unique,
        kafka_bootstrap,
        postgres_dsn,
        redis_url,
        kite_api_key=simulator.api_key,
        kite_root=simulator.urls.rest,
    )


async def _send(client: httpx.AsyncClient, case: Case) -> httpx.Response:
    return await client.request(case.method, case.url, headers=case.headers, json=case.body)


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://api")


async def _seed(settings, redis_url: str) -> None:
    pool = await connect(settings.postgres_dsn.get_secret_value())
    try:
        await seed_users(pool)
        await seed_strategies(pool)
        await seed_ledger(pool)
    finally:
        await pool.close()
    cache = redis.from_url(redis_url)
    await publish_figures(
        cache, settings.topic_prefix, [strategy_summary("momentum-1", "10", "0", "1")], "251"
    )
    await cache.aclose()


def _trading_cases(viewer: dict[str, str]) -> list[Case]:
    cases = [Case("GET", "/api/v1/{namespace}/portfolio", 404, "/api/v1/zerodha/portfolio", viewer)]
    for view in ("portfolio", "positions", "orders", "fills", "pnl", "services", "broker-session"):
        template = f"/api/v1/{{namespace}}/{view}"
        # No session is configured or stored yet: the stored one answers 200 further on.
        found = 404 if view == "broker-session" else 200
        cases += [
            Case("GET", template, found, f"/api/v1/paper/{view}", viewer),
            Case("GET", template, 401, f"/api/v1/paper/{view}"),
            Case("GET", template, 422, f"/api/v1/live/{view}", viewer),
        ]
    return cases


def _strategy_cases(viewer: dict[str, str], trader: dict[str, str]) -> list[Case]:
    cases = [
        Case("GET", "/api/v1/strategies", 200, "/api/v1/strategies", viewer),
        Case("GET", "/api/v1/strategies", 401, "/api/v1/strategies"),
        Case("GET", "/api/v1/strategies", 422, "/api/v1/strategies?namespace=live", viewer),
    ]
    for verb in ("pause", "resume"):
        template = f"/api/v1/strategies/{{strategy_id}}/{verb}"
        cases += [
            Case("POST", template, 200, f"/api/v1/strategies/momentum-1/{verb}", trader),
            Case("POST", template, 401, f"/api/v1/strategies/momentum-1/{verb}"),
            Case("POST", template, 403, f"/api/v1/strategies/momentum-1/{verb}", viewer),
            Case("POST", template, 404, f"/api/v1/strategies/ghost/{verb}", trader),
            Case("POST", template, 422, f"/api/v1/strategies/Bad_Name/{verb}", trader),
        ]
    return cases


def _account_cases(
    viewer: dict[str, str], trader: dict[str, str], admin: dict[str, str]
) -> list[Case]:
    token = "/api/v1/auth/token"
    letters = "/api/v1/dead-letters"
    good = {"username": "viewer", "password": PASSWORDS[Role.VIEWER]}
    wrong = {"username": "trader", "password": "not-the-password"}
    return [
        Case("GET", "/healthz", 200, "/healthz"),
        Case("GET", "/readyz", 200, "/readyz"),
        Case("GET", "/api/v1/health", 200, "/api/v1/health", viewer),
        Case("GET", "/api/v1/health", 401, "/api/v1/health", {"Authorization": "Bearer x.y.z"}),
        Case("POST", token, 200, token, body=good),
        Case("POST", token, 422, token, body={"username": "viewer"}),
        Case("POST", token, 401, token, body=wrong),
        Case("POST", token, 401, token, body=wrong),
        Case("POST", token, 429, token, body=wrong),
        Case("GET", letters, 200, f"{letters}?topic={{dlq}}", admin),
        Case("GET", letters, 401, f"{letters}?topic={{dlq}}"),
        Case("GET", letters, 403, f"{letters}?topic={{dlq}}", trader),
        Case("GET", letters, 422, f"{letters}?topic=paper.orders.placed", admin),
    ]


def _broker_cases(request_token: str) -> list[Case]:
    callback = "/api/v1/broker/login-callback"
    return [
        Case("GET", "/api/v1/broker/login", 307, "/api/v1/broker/login"),
        Case("GET", callback, 200, f"{callback}?request_token={request_token}"),
        Case("GET", callback, 400, f"{callback}?request_token=spent-or-forged"),
        Case("GET", callback, 422, callback),
    ]


async def test_every_documented_response_is_sent_and_every_sent_response_is_documented(
    settings, simulator, redis_url
):
    limits = {"login_attempts_per_user": 2}
    key = generate_session_encryption_key()
    with_callback = auth_settings(
        kite_api_secret=SecretStr(simulator.api_secret), session_encryption_key=key, **limits
    )
    unready = HealthRegistry(
        infrastructure_checks(
            settings.model_copy(update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}")})
        )
    )
    exchanged: list[tuple[Case, httpx.Response]] = []

    async with opened_api(settings, auth_settings(**limits)) as wired, _client(wired.app) as api:
        await _seed(settings, redis_url)
        viewer, trader, admin = [await login(api, role) for role in Role]
        document = wired.app.openapi()
        cases = [
            *_trading_cases(viewer),
            *_strategy_cases(viewer, trader),
            *_account_cases(viewer, trader, admin),
            Case("GET", "/api/v1/broker/login", 404, "/api/v1/broker/login"),
            Case("GET", "/api/v1/broker/login-callback", 404, "/api/v1/broker/login-callback"),
        ]
        for case in cases:
            url = case.url.replace("{dlq}", dlq(settings.topics.signals_raw))
            exchanged.append((case, await _send(api, replace(case, url=url))))

    async with opened_api(settings, with_callback) as wired, _client(wired.app) as api:
        request_token = simulator.sessions.issue_request_token(simulator.api_key)
        for case in _broker_cases(request_token):
            exchanged.append((case, await _send(api, case)))
        stored = Case(  # the session the callback just stored
            "GET",
            "/api/v1/{namespace}/broker-session",
            200,
            "/api/v1/paper/broker-session",
            await login(api, Role.VIEWER),
        )
        exchanged.append((stored, await _send(api, stored)))

    wired = await WiredApi.open(settings, auth_settings(), unready, SecretScrubber())
    try:
        async with _client(wired.app) as api:
            case = Case("GET", "/readyz", 503, "/readyz")
            exchanged.append((case, await _send(api, case)))
    finally:
        await wired.close()

    contract = Contract(document)
    wrong_status = [
        f"{case.method} {case.url}: {response.status_code} {response.text}"
        for case, response in exchanged
        if response.status_code != case.status
    ]
    violations = [
        f"{case.method} {case.url} -> {response.status_code}: {violation}"
        for case, response in exchanged
        if (violation := contract.violation(response)) is not None
    ]
    exercised = {(case.method, case.template, case.status) for case, _ in exchanged}
    assert wrong_status == []
    assert violations == []
    assert documented_responses(document) == exercised
