"""`alpha-panda status` as a user runs it, against a served API over the real Redis and PostgreSQL.

Services report their readiness to the health board as service processes do, with their real
infrastructure checks; the command runs as its own process and reads everything over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as redis
from cryptography.fernet import Fernet
from pydantic import SecretStr

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.redis.service_health import ServiceHealth, ServiceHealthBoard
from alpha_panda.app.health_reporter import HealthReporter
from alpha_panda.app.pre_trading_checks import infrastructure_checks
from alpha_panda.auth.broker_session import BrokerSession, SessionSource, session_expiry
from alpha_panda.auth.roles import Role
from alpha_panda.auth.session_store import EncryptedSessionStore
from alpha_panda.core.health import CachedReadiness, CheckFailed, HealthCheck, HealthRegistry
from alpha_panda.core.settings import Settings
from alpha_panda.domain.values import IST, Namespace
from local_run.processes import free_port
from tests.conftest import eventually
from tests.integration.api.stack import (
    PASSWORDS,
    api_settings,
    auth_settings,
    opened_api,
    publish_figures,
    seed_strategies,
    seed_users,
    served_api,
    strategy_summary,
)

pytestmark = pytest.mark.integration

ENCRYPTION_KEY = SecretStr(Fernet.generate_key().decode())
REPORT_SECONDS = 0.3


@pytest.fixture
async def settings(unique, kafka_bootstrap, postgres_dsn, redis_url) -> Settings:
    return api_settings(unique, kafka_bootstrap, postgres_dsn, redis_url)


@pytest.fixture
async def cache(redis_url) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def api_url(settings, cache) -> AsyncIterator[str]:
    pool = await connect(settings.postgres_dsn.get_secret_value())
    await seed_users(pool)
    await seed_strategies(settings, pool)
    strategies = [
        strategy_summary("bollinger-2", "-40.00", "0", "2.10"),
        strategy_summary("momentum-1", "120.50", "-20.25", "3.10"),
    ]
    await publish_figures(cache, settings.topic_prefix, strategies, last_price="248.00")
    auth = auth_settings(session_encryption_key=ENCRYPTION_KEY)
    try:
        async with opened_api(settings, auth) as container, served_api(container) as url:
            yield url
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def reporting(
    settings: Settings, cache: redis.Redis, service: str, *extra: HealthCheck
) -> AsyncIterator[HealthReporter]:
    """Report a service's readiness with its real infrastructure checks, as its process does."""
    registry = HealthRegistry([*infrastructure_checks(settings), *extra])
    board = ServiceHealthBoard(cache, settings.namespace, settings.topic_prefix)
    reporter = HealthReporter(CachedReadiness(registry), board, service, REPORT_SECONDS)
    reporter.start()
    try:
        yield reporter
    finally:
        await reporter.stop()


async def halted() -> str:
    raise CheckFailed("the Kite session expired; renew it and restart")


async def status(*arguments: str, **environment: str) -> tuple[int, str, str]:
    """Run `alpha-panda status` as its own process; return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alpha_panda.app.cli",
        "status",
        *arguments,
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return int(process.returncode or 0), out.decode(), err.decode()


def as_viewer(url: str) -> tuple[list[str], dict[str, str]]:
    return ["--url", url, "--user", "viewer"], {"ALPHA_PANDA_API_PASSWORD": PASSWORDS[Role.VIEWER]}


async def board_lists(settings: Settings, cache: redis.Redis, services: set[str]) -> bool:
    board = ServiceHealthBoard(cache, settings.namespace, settings.topic_prefix)
    return {health.service for health in await board.services()} == services


async def test_status_shows_strategies_services_and_says_which_service_is_not_ready(
    api_url, settings, cache
):
    arguments, environment = as_viewer(api_url)
    engine_check = HealthCheck("processing", halted, "renew the session")
    async with (
        reporting(settings, cache, "risk-manager"),
        reporting(settings, cache, "trading-engine", engine_check),
    ):
        await eventually(
            lambda: board_lists(settings, cache, {"risk-manager", "trading-engine"}),
            what="both services on the health board",
        )
        code, out, err = await status(*arguments, **environment)
        assert code == 1, out + err
        lines = out.splitlines()
        assert lines[0].startswith(f"Alpha Panda · paper · {api_url} · ")
        assert lines[2] == "Broker session  none known to the API (paper trading needs none)"
        assert lines[4] == "Strategies (2)"
        assert lines[6].split()[:4] == ["bollinger-2", "bollinger", "active", "flat"]
        assert lines[6].split()[4:] == ["\u2212₹40.00", "₹0.00", "₹2.10", "\u2212₹42.10"]
        assert lines[7].split()[:6] == ["momentum-1", "momentum", "active", "256265", "+10", "@250"]
        assert lines[7].split()[6:] == ["₹120.50", "\u2212₹20.25", "₹3.10", "₹97.15"]
        assert lines[10] == "Services (2 of 3 ready)"
        services = {line.split()[0]: line for line in lines[12:]}
        assert list(services) == ["api", "risk-manager", "trading-engine"]
        assert services["api"].split()[1] == "ready"
        assert services["risk-manager"].split()[1] == "ready"
        assert "NOT READY" in services["trading-engine"]
        assert services["trading-engine"].endswith(
            "processing: the Kite session expired; renew it and restart"
        )

    await eventually(
        lambda: board_lists(settings, cache, set()), what="stopped services off the board"
    )
    code, out, err = await status(*arguments, **environment)
    assert code == 0, err
    assert "Services (1 of 1 ready)" in out


async def test_status_shows_the_stored_broker_session_owner_and_expiry(api_url, settings, cache):
    login_time = datetime.now(UTC) - timedelta(minutes=5)
    session = BrokerSession(
        api_key="k",
        access_token=SecretStr("stored-access-token"),
        user_id="AB1234",
        login_time=login_time,
        expires_at=session_expiry(login_time),
        source=SessionSource.LOGIN_CALLBACK,
    )
    await EncryptedSessionStore(cache, ENCRYPTION_KEY, Namespace.PAPER).save(session)
    try:
        arguments, environment = as_viewer(api_url)
        code, out, err = await status(*arguments, **environment)
    finally:
        await EncryptedSessionStore(cache, ENCRYPTION_KEY, Namespace.PAPER).clear()
    assert code == 0, err
    expiry = session.expires_at.astimezone(IST)
    assert out.splitlines()[2].startswith(
        f"Broker session  user AB1234 (stored login), valid until {expiry:%a %d %b} 06:00 IST, "
    )
    assert "stored-access-token" not in out


async def test_a_bad_token_gets_a_clear_401_message_and_exit_code_2(api_url):
    code, out, err = await status("--url", api_url, "--token", "not-a-token")
    assert (code, out) == (2, "")
    assert err.startswith("alpha-panda status: the API refused the credentials (401: ")
    assert "log in again" in err


async def test_an_unreachable_api_gets_a_clear_message_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = await status("--url", url, "--token", "any")
    assert (code, out) == (2, "")
    assert err.startswith(f"alpha-panda status: cannot reach the API at {url} (")
    assert "port-forward" in err


async def test_a_service_that_stops_reporting_drops_off_the_board(settings, cache):
    board = ServiceHealthBoard(cache, Namespace.PAPER, settings.topic_prefix)
    health = ServiceHealth(service="market-feed", ready=True, checked_at=datetime.now(UTC))
    await board.publish(health, timedelta(milliseconds=300))
    assert await board.services() == [health]
    await asyncio.sleep(0.5)
    assert await board.services() == []
