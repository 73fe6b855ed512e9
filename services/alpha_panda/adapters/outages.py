"""The errors by which the stores' clients say "unreachable right now", as opposed to a bug."""

from __future__ import annotations

import asyncpg
import redis.exceptions

STORE_OUTAGES: tuple[type[Exception], ...] = (
    OSError,  # refused or reset connections, from either client
    asyncpg.PostgresConnectionError,  # a connection lost mid-query
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, cancelled
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
