"""The OpenAPI document tells the truth: every response a route really sends is documented.

Each route is driven into every status its document lists (successes, 4xx, and 503 with
PostgreSQL and Redis stopped) against the real stores, Kafka and the Kite simulator; openapi-core
then validates each real response's status, headers and body against the document, and the
exercised statuses must be exactly the documented ones.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

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
from chaos.servers import PostgresServer, RedisServer, free_port
from tests.conftest import eventually
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
def settings(kite_settings):
    return kite_settings


@pytest.fixture
def stoppable_stores() -> Iterator[tuple[PostgresServer, RedisServer]]:
    """A private PostgreSQL and Redis that a test may stop and start again."""
    with tempfile.TemporaryDirectory(prefix="alpha-panda-api-outage-") as directory:
        root = Path(directory)
        root.chmod(0o755)
        (root / "postgres").mkdir()
        (root / "redis").mkdir()
        postgres, redis_server = PostgresServer(root / "postgres"), RedisServer(root / "redis")
        postgres.initialise()
        postgres.start()
        redis_server.start()
        yield postgres, redis_server
        redis_server.stop()
        postgres.stop()


async def _send(client: httpx.AsyncClient, case: Case) -> httpx.Response:
    return await client.request(case.method, case.url, headers=case.headers, json=case.body)


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api")


async def _seed(settings, redis_url: str) -> None:
    pool = await connect(settings.postgres_dsn.get_secret_value())
    try:
        await seed_users(pool)
        await seed_strategies(settings, pool)
        await seed_ledger(pool)
    finally:
        await pool.close()
    cache = redis.from_url(redis_url)
    await publish_figures(
        cache, settings.topic_prefix, [strategy_summary("momentum-1", "10", "0", "1")], "251"
    )
    await cache.aclose()


NAMESPACE_VIEWS = (
    "portfolio",
    "positions",
    "orders",
    "fills",
    "pnl",
    "pnl/curve",
    "rejections",
    "dead-letters",
    "services",
    "broker-session",
)


def _namespace_cases(viewer: dict[str, str]) -> list[Case]:
    cases = [
        Case("GET", "/api/v1/{namespace}/portfolio", 404, "/api/v1/zerodha/portfolio", viewer),
        Case(
            "GET", "/api/v1/{namespace}/broker-session", 404, "/api/v1/paper/broker-session", viewer
        ),
    ]
    for view in NAMESPACE_VIEWS:
        template = f"/api/v1/{{namespace}}/{view}"
        if view != "broker-session":  # known only once a login callback stored one (below)
            cases.append(Case("GET", template, 200, f"/api/v1/paper/{view}", viewer))
        cases += [
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
    replay = "/api/v1/dead-letters/replay"
    instruments = "/api/v1/instruments"
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
        Case("GET", letters, 404, f"{letters}?topic=elsewhere.orders.placed.dlq", admin),
        Case("GET", letters, 422, f"{letters}?topic=paper.orders.placed", admin),
        Case("POST", replay, 200, f"{replay}?topic={{dlq}}", admin),
        Case("POST", replay, 401, f"{replay}?topic={{dlq}}"),
        Case("POST", replay, 403, f"{replay}?topic={{dlq}}", trader),
        Case("POST", replay, 404, f"{replay}?topic=elsewhere.orders.placed.dlq", admin),
        Case("POST", replay, 422, f"{replay}?topic=paper.orders.placed", admin),
        Case("GET", instruments, 401, f"{instruments}?token=738561"),
        Case("GET", instruments, 422, f"{instruments}?token=0", viewer),
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
            *_namespace_cases(viewer),
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
        session = Case(
            "GET",
            "/api/v1/{namespace}/broker-session",
            200,
            "/api/v1/paper/broker-session",
            await login(api, Role.VIEWER),
        )
        exchanged.append((session, await _send(api, session)))

    with_token = settings.model_copy(
        update={"kite_access_token": SecretStr(simulator.login().access_token)}
    )
    async with opened_api(with_token) as wired, _client(wired.app) as api:
        case = Case(
            "GET",
            "/api/v1/instruments",
            200,
            "/api/v1/instruments?token=738561",
            await login(api, Role.VIEWER),
        )
        exchanged.append((case, await _send(api, case)))

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
    assert _without_outages(documented_responses(document)) == exercised


def _without_outages(responses: set[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
    """Drop the stores' 503s (the outage test's) but keep /readyz's, which this test sends."""
    return {r for r in responses if r[2] != 503 or r[1] == "/readyz"}


def _outage_cases(tokens: list[dict[str, str]], request_token: str) -> list[Case]:
    viewer, trader, admin = tokens
    cases = [
        Case("GET", "/api/v1/health", 503, "/api/v1/health", viewer),
        Case("GET", "/api/v1/strategies", 503, "/api/v1/strategies", viewer),
        Case("GET", "/api/v1/dead-letters", 503, "/api/v1/dead-letters?topic=x.dlq", admin),
        Case(
            "POST",
            "/api/v1/dead-letters/replay",
            503,
            "/api/v1/dead-letters/replay?topic=x.dlq",
            admin,
        ),
        Case("GET", "/api/v1/instruments", 503, "/api/v1/instruments?token=738561", viewer),
        Case(
            "POST",
            "/api/v1/auth/token",
            503,
            "/api/v1/auth/token",
            body={"username": "viewer", "password": PASSWORDS[Role.VIEWER]},
        ),
        Case(
            "GET",
            "/api/v1/broker/login-callback",
            503,
            f"/api/v1/broker/login-callback?request_token={request_token}",
        ),
    ]
    for verb in ("pause", "resume"):
        template = f"/api/v1/strategies/{{strategy_id}}/{verb}"
        cases.append(Case("POST", template, 503, f"/api/v1/strategies/momentum-1/{verb}", trader))
    for view in NAMESPACE_VIEWS:
        cases.append(
            Case("GET", f"/api/v1/{{namespace}}/{view}", 503, f"/api/v1/paper/{view}", viewer)
        )
    return cases


async def test_every_route_on_a_store_answers_a_documented_503_while_the_stores_are_down(
    stoppable_stores, simulator, unique, kafka_bootstrap
):
    postgres, redis_server = stoppable_stores
    settings = api_settings(
        unique,
        kafka_bootstrap,
        postgres.dsn,
        redis_server.url,
        kite_api_key=simulator.api_key,
        kite_root=simulator.urls.rest,
    )
    auth = auth_settings(
        kite_api_secret=SecretStr(simulator.api_secret),
        session_encryption_key=generate_session_encryption_key(),
    )

    async with opened_api(settings, auth) as wired, _client(wired.app) as api:
        await _seed(settings, redis_server.url)
        tokens = [await login(api, role) for role in Role]
        request_token = simulator.sessions.issue_request_token(simulator.api_key)
        postgres.stop()
        redis_server.stop()
        try:
            exchanged = [
                (case, await _send(api, case)) for case in _outage_cases(tokens, request_token)
            ]
        finally:
            postgres.start()
            redis_server.start()

        async def serving_again() -> bool:
            answer = await api.get("/api/v1/strategies", headers=tokens[0])
            return answer.status_code == 200

        await eventually(serving_again, what="the API to serve again once the stores return")
        document = wired.app.openapi()

    contract = Contract(document)
    answers = [
        (case.url, response.status_code, response.headers.get("retry-after"), response.text)
        for case, response in exchanged
    ]
    unavailable = '{"detail":"a store the API depends on is unreachable; try again shortly"}'
    assert {answer[1:] for answer in answers} == {(503, "5", unavailable)}, answers
    assert [contract.violation(response) for _, response in exchanged] == [None] * len(exchanged)
    documented = {r for r in documented_responses(document) if r[2] == 503 and r[1] != "/readyz"}
    assert documented == {(c.method, c.template, c.status) for c, _ in exchanged}
