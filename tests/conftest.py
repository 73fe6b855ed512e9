"""Session fixtures: the real local Kafka, PostgreSQL and Redis, started by scripts/infra.sh."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
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
async def unique(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Return a short unique token for topic prefixes and group names; the local Kafka's topics
    named with it are deleted after the test, so a whole run never piles up tens of thousands
    of partitions (each holds open files and memory maps in the broker)."""
    token = uuid.uuid4().hex[:10]
    yield token
    bootstrap = os.environ.get("ALPHA_PANDA_KAFKA_BOOTSTRAP")
    if bootstrap and "infra" in request.fixturenames:
        await delete_topics_containing(bootstrap, token)


async def delete_topics_containing(bootstrap: str, token: str) -> None:
    """Delete the topics whose names contain `token`; warn when Kafka cannot be reached."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        names = [name for name in await admin.list_topics() if token in name]
        if names:
            await admin.delete_topics(names)
    except KafkaError as error:  # a test that stopped Kafka leaves its topics: no harm
        warnings.warn(f"topics of {token} not deleted: {error!r}", stacklevel=1)
    finally:
        await admin.close()


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
