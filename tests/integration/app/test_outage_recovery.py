"""Services ride out outages: PostgreSQL stopped for 30 s leaves every service process up and
unready, and each is ready again by itself once PostgreSQL returns; a Redis outage never stops
the ledger writer."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from chaos.servers import PostgresServer, RedisServer, free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SERVICES = ("risk-manager", "trading-engine", "portfolio-manager")


@pytest.fixture(scope="module")
def private_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="alpha-panda-outage-") as directory:
        Path(directory).chmod(0o755)
        yield Path(directory)


@pytest.fixture(scope="module")
def servers(private_directory: Path) -> Iterator[tuple[PostgresServer, RedisServer]]:
    (private_directory / "postgres").mkdir()
    (private_directory / "redis").mkdir()
    postgres = PostgresServer(private_directory / "postgres")
    postgres.initialise()
    postgres.start()
    redis = RedisServer(private_directory / "redis")
    redis.start()
    yield postgres, redis
    redis.stop()
    postgres.stop()


class Process:
    def __init__(self, service: str, process: asyncio.subprocess.Process, port: int) -> None:
        self.service = service
        self.process = process
        self.port = port

    async def ready(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200


@pytest.fixture
async def services(servers, kafka_bootstrap, unique) -> AsyncIterator[list[Process]]:
    postgres, redis = servers
    started = []
    for service in SERVICES:
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "services"), str(ROOT)]),
            "ALPHA_PANDA_SERVICE_NAME": service,
            "ALPHA_PANDA_NAMESPACE": "paper",
            "ALPHA_PANDA_GROUP_PREFIX": f"t{unique}",
            "ALPHA_PANDA_TOPIC_PREFIX": f"t{unique}.",
            "ALPHA_PANDA_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "ALPHA_PANDA_POSTGRES_DSN": postgres.dsn,
            "ALPHA_PANDA_REDIS_URL": redis.url,
            "ALPHA_PANDA_HTTP_PORT": str(port),
        }
        command = [sys.executable, "-m", "alpha_panda.app.cli", "serve", service]
        process = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
        started.append(Process(service, process, port))
    yield started
    for running in started:
        if running.process.returncode is None:
            running.process.send_signal(signal.SIGTERM)
            await running.process.wait()


async def all_of(processes: list[Process], ready: bool, timeout: float) -> float:
    """Wait until every process reports `ready`; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        states = await asyncio.gather(*(p.ready() for p in processes))
        if all(state is ready for state in states):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    states = {p.service: await p.ready() for p in processes}
    pytest.fail(f"not all {'ready' if ready else 'unready'} within {timeout}s: {states}")


async def test_postgresql_stopped_for_30_seconds_leaves_every_service_up_and_ready_again(
    services, servers
):
    postgres, _ = servers
    await all_of(services, ready=True, timeout=90)
    pids = [p.process.pid for p in services]

    postgres.stop()
    await all_of(services, ready=False, timeout=30)
    await asyncio.sleep(30)
    assert [p.process.returncode for p in services] == [None] * len(services)

    postgres.start()
    recovered = await all_of(services, ready=True, timeout=30)
    assert [p.process.pid for p in services] == pids and recovered < 30
    assert [p.process.returncode for p in services] == [None] * len(services)


async def test_a_redis_outage_never_stops_the_ledger_writer(services, servers):
    _, redis = servers
    await all_of(services, ready=True, timeout=90)
    redis.stop()
    await asyncio.sleep(10)
    assert [p.process.returncode for p in services] == [None] * len(services)
    redis.start()
    await all_of(services, ready=True, timeout=30)
