"""Service state snapshots kept in `service_state`, one row per consumer group."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from alpha_panda.core.streaming.ledger import StateWriter


async def load_state(pool: asyncpg.Pool, consumer_group: str) -> dict[str, Any] | None:
    """Return the last snapshot a consumer group saved, or None on its first start."""
    raw = await pool.fetchval(
        "SELECT state FROM service_state WHERE consumer_group = $1", consumer_group
    )
    return None if raw is None else dict(json.loads(raw))


def state_writer(consumer_group: str, snapshot: dict[str, Any]) -> StateWriter:
    """Return a writer that upserts `snapshot` inside the batch's transaction."""
    document = json.dumps(snapshot, default=str)

    async def write(connection: asyncpg.Connection) -> None:
        await connection.execute(
            "INSERT INTO service_state (consumer_group, state, updated_at)"
            " VALUES ($1, $2::jsonb, now())"
            " ON CONFLICT (consumer_group) DO UPDATE SET state = $2::jsonb, updated_at = now()",
            consumer_group,
            document,
        )

    return write
