"""Broker sessions against the Kite simulator: validated by profile call, renewed by login
callback, stored encrypted, and never written to a log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.app.pre_trading_checks import broker_session_check
from alpha_panda.auth.auth_manager import AuthManager
from alpha_panda.auth.broker_session import BrokerSessionError, SessionSource
from alpha_panda.auth.key_generation import generate_session_encryption_key
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.session_store import EncryptedSessionStore
from alpha_panda.core.health import HealthRegistry
from alpha_panda.core.settings import Settings
from alpha_panda.domain.values import Namespace
from chaos.servers import RedisServer
from kite_sim.simulator import KiteSimulator, SimulatorConfig

pytestmark = pytest.mark.integration

USER = "AP0001"


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("session-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis_client(private_redis) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(private_redis.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with KiteSimulator(SimulatorConfig(user_id=USER)) as sim:
        yield sim


@pytest.fixture
def handled_secrets() -> list[str]:
    return []


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog, handled_secrets):
    """Fail any test of this module whose log records carry a secret it handled."""
    caplog.set_level(logging.DEBUG)
    yield
    written = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    assert [secret for secret in handled_secrets if secret in written] == []


def _manager(simulator, token="", store=None, api_secret=None, user=None) -> AuthManager:
    return AuthManager(
        api_key=simulator.api_key,
        kite_root=simulator.urls.rest,
        external_token=lambda: SecretStr(token),
        scrubber=SecretScrubber(),
        store=store,
        api_secret=SecretStr(api_secret) if api_secret else None,
        expected_user_id=user,
    )


async def test_externally_provided_token_is_validated_by_a_profile_call(simulator, handled_secrets):
    token = simulator.login().access_token
    handled_secrets.append(token)
    manager = _manager(simulator, token, user=USER)
    session = await manager.load()
    assert session.source is SessionSource.ENVIRONMENT
    description = await manager.validate_session()
    assert description.startswith(f"user {USER} until ")
    assert session.expires_at > datetime.now(UTC)


async def test_token_from_a_mounted_secret_file_is_used(simulator, tmp_path: Path, handled_secrets):
    token = simulator.login().access_token
    handled_secrets.append(token)
    secret_file = tmp_path / "access_token"
    secret_file.write_text(token + "\n")
    settings = Settings(
        service_name="trading-engine",
        namespace="zerodha",
        kafka_bootstrap="127.0.0.1:9092",
        postgres_dsn="postgresql://alpha@127.0.0.1:5432/x",
        redis_url="redis://127.0.0.1:6379/0",
        kite_api_key=simulator.api_key,
        kite_access_token_file=secret_file,
    )
    manager = AuthManager(
        api_key=settings.kite_api_key,
        kite_root=simulator.urls.rest,
        external_token=settings.access_token,
        scrubber=SecretScrubber(),
    )
    assert (await manager.validate_session()).startswith(f"user {USER}")


async def test_expired_token_fails_the_pre_trading_check_with_login_advice(
    simulator, handled_secrets
):
    token = simulator.login().access_token
    handled_secrets.append(token)
    manager = _manager(simulator, token)
    await manager.validate_session()
    await simulator.expire_tokens()
    report = await HealthRegistry([broker_session_check(manager)]).run()
    assert not report.ready
    detail = report.results[0].detail
    assert "TokenException" in detail and "HTTP 403" in detail
    assert token not in report.render()
    assert "log in to Kite again" in report.render()


async def test_missing_token_is_refused_naming_the_settings(simulator):
    with pytest.raises(BrokerSessionError, match="ALPHA_PANDA_KITE_ACCESS_TOKEN_FILE"):
        await _manager(simulator).load()


async def test_login_callback_creates_a_session_stored_encrypted_until_six_ist(
    simulator, redis_client, handled_secrets
):
    key = generate_session_encryption_key()
    handled_secrets.extend([simulator.api_secret, key.get_secret_value()])
    store = EncryptedSessionStore(redis_client, key, Namespace.ZERODHA)
    manager = _manager(simulator, store=store, api_secret=simulator.api_secret, user=USER)
    request_token = simulator.sessions.issue_request_token(simulator.api_key)
    session = await manager.complete_login(request_token)
    token = session.access_token.get_secret_value()
    handled_secrets.append(token)
    assert (session.user_id, session.source) == (USER, SessionSource.LOGIN_CALLBACK)

    raw = await redis_client.get("zerodha:broker_session")
    assert raw is not None and token.encode() not in raw
    expires_in = await redis_client.ttl("zerodha:broker_session")
    remaining = (session.expires_at - datetime.now(UTC)).total_seconds()
    assert abs(expires_in - remaining) <= 2

    restarted = _manager(simulator, store=store, user=USER)
    loaded = await restarted.load()
    assert loaded.source is SessionSource.STORE
    assert loaded.access_token.get_secret_value() == token
    assert (await restarted.validate_session()).startswith(f"user {USER}")


async def test_session_encrypted_under_another_key_is_ignored(
    simulator, redis_client, handled_secrets
):
    writer = EncryptedSessionStore(redis_client, generate_session_encryption_key(), Namespace.PAPER)
    manager = _manager(simulator, store=writer, api_secret=simulator.api_secret)
    handled_secrets.append(simulator.api_secret)
    await manager.complete_login(simulator.sessions.issue_request_token(simulator.api_key))
    reader = EncryptedSessionStore(redis_client, generate_session_encryption_key(), Namespace.PAPER)
    assert await reader.load() is None


async def test_login_for_another_kite_user_is_refused(simulator, handled_secrets):
    handled_secrets.append(simulator.api_secret)
    manager = _manager(simulator, api_secret=simulator.api_secret, user="ZZ9999")
    request_token = simulator.sessions.issue_request_token(simulator.api_key)
    with pytest.raises(BrokerSessionError, match="ALPHA_PANDA_AUTH_KITE_USER_ID"):
        await manager.complete_login(request_token)
    assert manager.session is None


async def test_reused_request_token_is_refused_by_kite(simulator, handled_secrets):
    handled_secrets.append(simulator.api_secret)
    manager = _manager(simulator, api_secret=simulator.api_secret)
    request_token = simulator.sessions.issue_request_token(simulator.api_key)
    await manager.complete_login(request_token)
    with pytest.raises(BrokerSessionError, match="TokenException"):
        await manager.complete_login(request_token)


async def test_login_callback_is_disabled_without_the_api_secret(simulator):
    with pytest.raises(BrokerSessionError, match="ALPHA_PANDA_AUTH_KITE_API_SECRET"):
        await _manager(simulator).complete_login("any")


async def test_session_past_six_ist_is_refused_without_asking_kite(simulator, handled_secrets):
    token = simulator.login().access_token
    handled_secrets.append(token)
    now = [datetime(2026, 11, 25, 4, 0, tzinfo=UTC)]
    manager = AuthManager(
        api_key=simulator.api_key,
        kite_root="http://127.0.0.1:9",  # unreachable: the check must not need Kite
        external_token=lambda: SecretStr(token),
        scrubber=SecretScrubber(),
        clock=lambda: now[0],
    )
    session = await manager.load()
    now[0] = session.expires_at
    with pytest.raises(BrokerSessionError, match="expired at 2026-11-26T00:30:00"):
        await manager.validate_session()
