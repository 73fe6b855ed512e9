"""/readyz turns false when PostgreSQL or Redis goes away and true again when it returns."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from alpha_panda.app.health_server import HealthServer
from alpha_panda.app.pre_trading_checks import postgres_check, redis_check
from alpha_panda.core.health import CachedReadiness, HealthRegistry
from chaos.servers import PostgresServer, RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def private_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="alpha-panda-readiness-") as directory:
        Path(directory).chmod(0o755)
        yield Path(directory)


@pytest.fixture(scope="module")
def private_redis(private_directory: Path) -> Iterator[RedisServer]:
    (private_directory / "redis").mkdir()
    server = RedisServer(private_directory / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def private_postgres(private_directory: Path) -> Iterator[PostgresServer]:
    (private_directory / "postgres").mkdir()
    server = PostgresServer(private_directory / "postgres")
    server.initialise()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def probes(private_postgres, private_redis):
    registry = HealthRegistry(
        [
            postgres_check(SecretStr(private_postgres.dsn), timeout=2.0),
            redis_check(SecretStr(private_redis.url), timeout=2.0),
        ]
    )
    server = HealthServer(
        CachedReadiness(registry, max_age=0.0), service="test", host="127.0.0.1", port=0
    )
    await server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        yield client
    await server.stop()


async def _readiness(client: httpx.AsyncClient) -> tuple[int, dict]:
    response = await client.get("/readyz")
    return response.status_code, response.json()


def _failed(body: dict) -> list[str]:
    return [check["name"] for check in body["checks"] if not check["passed"]]


async def test_liveness_answers_while_dependencies_are_down(probes, private_redis):
    private_redis.stop()
    try:
        response = await probes.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "alive", "service": "test"}
    finally:
        private_redis.start()


async def test_readiness_follows_redis_going_away_and_returning(probes, private_redis):
    assert (await _readiness(probes))[0] == 200
    private_redis.stop()
    status, body = await _readiness(probes)
    assert (status, body["ready"], _failed(body)) == (503, False, ["redis"])
    private_redis.start()
    status, body = await _readiness(probes)
    assert (status, body["ready"]) == (200, True)


async def test_readiness_follows_postgres_going_away_and_returning(probes, private_postgres):
    assert (await _readiness(probes))[0] == 200
    private_postgres.stop()
    status, body = await _readiness(probes)
    assert (status, _failed(body)) == (503, ["postgresql"])
    failed = next(check for check in body["checks"] if check["name"] == "postgresql")
    assert f"127.0.0.1:{private_postgres.port}" in failed["remedy"]
    private_postgres.start()
    assert (await _readiness(probes))[0] == 200
