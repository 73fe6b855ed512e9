"""The API process's Kite login callback, enabled by its secrets, against the Kite simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.auth.key_generation import generate_session_encryption_key
from alpha_panda.auth.session_store import EncryptedSessionStore
from alpha_panda.core.settings import SettingsError
from alpha_panda.domain.values import Namespace
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.integration.api.stack import api_settings, auth_settings, opened_api

pytestmark = pytest.mark.integration

USER = "AP0042"


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with KiteSimulator(SimulatorConfig(user_id=USER)) as sim:
        yield sim


@pytest.fixture
def settings(simulator, unique, kafka_bootstrap, postgres_dsn, redis_url):
    return api_settings(
        unique,
        kafka_bootstrap,
        postgres_dsn,
        redis_url,
        namespace="zerodha",
        kite_api_key=simulator.api_key,
        kite_root=simulator.urls.rest,
    )


@pytest.fixture
async def sessions(redis_url) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_the_callback_stores_the_session_encrypted_for_the_trading_processes(
    settings, simulator, sessions
):
    key = generate_session_encryption_key()
    auth = auth_settings(
        kite_api_secret=SecretStr(simulator.api_secret),
        session_encryption_key=key,
        kite_user_id=USER,
    )
    store = EncryptedSessionStore(sessions, key, Namespace.ZERODHA)
    request_token = simulator.sessions.issue_request_token(simulator.api_key)

    async with opened_api(settings, auth) as wired:
        transport = httpx.ASGITransport(app=wired.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            redirect = await api.get("/api/v1/broker/login")
            created = await api.get(
                "/api/v1/broker/login-callback", params={"request_token": request_token}
            )
    stored = await store.load()
    await store.clear()

    assert redirect.status_code == 307 and simulator.api_key in redirect.headers["location"]
    assert created.status_code == 200 and created.json()["user_id"] == USER
    assert stored is not None and stored.user_id == USER and stored.api_key == simulator.api_key
    assert stored.access_token.get_secret_value() not in created.text


async def test_the_callback_stays_off_without_the_api_secret(settings):
    async with opened_api(settings) as wired:
        transport = httpx.ASGITransport(app=wired.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            response = await api.get("/api/v1/broker/login")

    assert response.status_code == 404


async def test_an_api_secret_without_an_encryption_key_refuses_to_start(settings, simulator):
    auth = auth_settings(kite_api_secret=SecretStr(simulator.api_secret))

    with pytest.raises(SettingsError, match="ALPHA_PANDA_AUTH_SESSION_ENCRYPTION_KEY"):
        async with opened_api(settings, auth):
            pass
