"""Fixtures shared by the API's tests over the real stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.settings import Settings
from tests.integration.api.stack import seed_strategies, seed_users


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """The API's database, with a user of each role and two defined strategies."""
    pool = await connect(settings.postgres_dsn.get_secret_value())
    await seed_users(pool)
    await seed_strategies(settings, pool)
    yield pool
    await pool.close()
