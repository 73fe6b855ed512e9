"""Server-level PostgreSQL statements: a liveness query, a throw-away database."""

from __future__ import annotations

import asyncpg


async def answer_query(dsn: str, timeout: float) -> None:
    """Connect and run a trivial query; raise OSError or a PostgresError when the server cannot."""
    connection = await asyncpg.connect(dsn, timeout=timeout)
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()


async def create_database(server_dsn: str, name: str) -> str:
    """Create an empty database on the server of `server_dsn` and return its DSN."""
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return server_dsn.rsplit("/", 1)[0] + "/" + name
