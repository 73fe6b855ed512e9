"""Session fixtures: the real local Kafka, PostgreSQL and Redis, started by scripts/infra.sh."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, settings

# Property tests judge correctness, not speed: on a loaded two-core machine input generation
# and examples may be slow, which says nothing about the code under test.
settings.register_profile(
    "alpha-panda", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("alpha-panda")

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.secret_scan"]


@pytest.fixture(scope="session")
def infra() -> dict[str, str]:
    """Start (or reuse) the local infrastructure and return its addresses."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "infra.sh"), "up"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/infra.sh up failed:\n{result.stderr}", pytrace=False)
    values = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    os.environ.update(values)
    return values


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: dict[str, str]) -> str:
    return infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"]


@pytest.fixture(scope="session")
def redis_url(infra: dict[str, str]) -> str:
    return infra["ALPHA_PANDA_REDIS_URL"]


@pytest.fixture
async def postgres_dsn(infra: dict[str, str]) -> AsyncIterator[str]:
    """Return the DSN of a fresh, empty database that is dropped after the test."""
    server = infra["ALPHA_PANDA_POSTGRES_DSN"]
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield server.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def unique() -> str:
    """Return a short unique token for topic prefixes and group names."""
    return uuid.uuid4().hex[:10]


async def eventually(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "condition"
) -> None:
    """Poll `predicate` until it holds, failing the test with `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
