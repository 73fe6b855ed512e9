"""Fixtures shared by the API's tests over the real stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.settings import Settings
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from tests.integration.api.stack import api_settings, seed_strategies, seed_users


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    """The Kite simulator, its user AP0042."""
    async with KiteSimulator(SimulatorConfig(user_id="AP0042")) as sim:
        yield sim


@pytest.fixture
def kite_settings(
    simulator: KiteSimulator, unique: str, kafka_bootstrap: str, postgres_dsn: str, redis_url: str
) -> Settings:
    """The API's settings on the real stores, with the simulator as its Kite (no session)."""
    return api_settings(
        unique,
        kafka_bootstrap,
        postgres_dsn,
        redis_url,
        kite_api_key=simulator.api_key,
        kite_root=simulator.urls.rest,
    )


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """The API's database, with a user of each role and two defined strategies."""
    pool = await connect(settings.postgres_dsn.get_secret_value())
    await seed_users(pool)
    await seed_strategies(settings, pool)
    yield pool
    await pool.close()
