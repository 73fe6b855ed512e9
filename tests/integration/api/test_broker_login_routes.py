"""The Kite login redirect through the API, against the Kite simulator."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from alpha_panda.api.app import create_app
from alpha_panda.api.dependencies import ApiDependencies
from alpha_panda.auth.auth_manager import AuthManager
from alpha_panda.auth.jwt_manager import JwtManager
from alpha_panda.auth.key_generation import generate_hmac_key
from alpha_panda.auth.keys import KeyRing
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.core.health import CachedReadiness, HealthRegistry
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.unit.api.memory import (
    MemoryInstruments,
    MemoryReadModel,
    MemoryReplay,
    MemoryStrategies,
    MemoryUsers,
    UnlimitedLogins,
)

pytestmark = pytest.mark.integration

USER = "AP0042"


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with KiteSimulator(SimulatorConfig(user_id=USER)) as sim:
        yield sim


@pytest.fixture
def manager(simulator) -> AuthManager:
    return AuthManager(
        api_key=simulator.api_key,
        kite_root=simulator.urls.rest,
        external_token=lambda: SecretStr(""),
        scrubber=SecretScrubber(),
        api_secret=SecretStr(simulator.api_secret),
        expected_user_id=USER,
    )


@pytest.fixture
async def api(manager) -> AsyncIterator[httpx.AsyncClient]:
    key = generate_hmac_key("k1")
    app = create_app(
        ApiDependencies(
            jwt_manager=JwtManager(
                KeyRing.from_configs([key], key.kid),
                issuer="alpha-panda",
                audience="alpha-panda-api",
                lifetime=timedelta(minutes=5),
            ),
            users=MemoryUsers({}),
            login_throttle=UnlimitedLogins(),
            strategies=MemoryStrategies(),
            read_model=MemoryReadModel(),
            readiness=CachedReadiness(HealthRegistry()),
            instruments=MemoryInstruments(),
            dead_letter_replay=MemoryReplay(),
            broker_login=manager,
        )
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def test_login_redirects_to_kite_with_the_api_key(api, simulator):
    response = await api.get("/api/v1/broker/login")
    assert response.status_code == 307
    assert simulator.api_key in response.headers["location"]


async def test_callback_creates_the_session_once_and_never_shows_the_token(
    api, simulator, manager, caplog
):
    caplog.set_level(logging.DEBUG)
    request_token = simulator.sessions.issue_request_token(simulator.api_key)
    callback = f"/api/v1/broker/login-callback?request_token={request_token}&status=success"
    created = await api.get(callback)
    assert created.status_code == 200
    assert created.json()["user_id"] == USER
    assert created.json()["expires_at"].endswith(("T00:30:00Z", "T00:30:00+00:00"))
    token = manager.session.access_token.get_secret_value()
    assert token not in created.text
    assert all(token not in record.getMessage() for record in caplog.records)
    replayed = await api.get(callback)
    assert replayed.status_code == 400
    assert "TokenException" in replayed.json()["detail"]


async def test_cancelled_login_answers_400(api):
    response = await api.get("/api/v1/broker/login-callback?request_token=x&status=cancelled")
    assert response.status_code == 400
