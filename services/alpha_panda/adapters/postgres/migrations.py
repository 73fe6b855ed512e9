"""Apply the numbered SQL files in `migrations/` once each, in order."""

from __future__ import annotations

from importlib import resources

import asyncpg

_LOCK_KEY = 7_431_001  # advisory lock so concurrent service starts migrate once


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply pending migrations; return the names of those applied now."""
    files = sorted(
        (
            item
            for item in resources.files(__package__).joinpath("migrations").iterdir()
            if item.name.endswith(".sql")
        ),
        key=lambda item: item.name,
    )
    applied_now: list[str] = []
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations")}
        for item in files:
            if item.name in done:
                continue
            await connection.execute(item.read_text())
            await connection.execute("INSERT INTO schema_migrations (name) VALUES ($1)", item.name)
            applied_now.append(item.name)
    return applied_now


async def connect(dsn: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    """Open a pool and bring the schema up to date."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
    await migrate(pool)
    return pool
