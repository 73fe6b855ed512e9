"""The `strategies` table: a projection of the definitions stream, for listing and reading.

The risk manager books it from the stream in its checkpoints; nothing reads it as the truth
at start-up."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined, StrategyRemoved
from alpha_panda.domain.values import Namespace

_UPSERT_SQL = (
    "INSERT INTO strategies (strategy_id, namespace, strategy_type, instruments,"
    " parameters, risk_limits, paused, updated_at)"
    " VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, now())"
    " ON CONFLICT (strategy_id) DO UPDATE SET namespace = $2, strategy_type = $3,"
    " instruments = $4, parameters = $5::jsonb, risk_limits = $6::jsonb, paused = $7,"
    " updated_at = now()"
)


def _row(config: StrategyConfig) -> tuple[object, ...]:
    return (
        config.strategy_id,
        config.namespace.value,
        config.strategy_type,
        list(config.instruments),
        json.dumps(config.parameters),
        config.risk_limits.model_dump_json(exclude_unset=True),
        config.paused,
    )


async def write_definitions(connection: asyncpg.Connection, records: Sequence[object]) -> None:
    """Project definitions and removals into `strategies` inside the caller's transaction."""
    for record in records:
        if isinstance(record, StrategyDefined):
            await connection.execute(_UPSERT_SQL, *_row(record.config))
        elif isinstance(record, StrategyRemoved):
            await connection.execute(
                "DELETE FROM strategies WHERE strategy_id = $1 AND namespace = $2",
                record.strategy_id,
                record.namespace.value,
            )
        else:
            raise TypeError(f"the strategies projection books definitions, not {record!r}")


class StrategyRepository:
    """Read the `strategies` projection (and seed it, in tests)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def upsert(self, config: StrategyConfig) -> None:
        """Insert or replace a strategy's row."""
        await self._pool.execute(_UPSERT_SQL, *_row(config))

    async def get(self, strategy_id: str) -> StrategyConfig | None:
        """Return one strategy's configuration, or None."""
        row = await self._pool.fetchrow(
            "SELECT * FROM strategies WHERE strategy_id = $1", strategy_id
        )
        return None if row is None else _config(row)

    async def list(self, namespace: Namespace | None = None) -> list[StrategyConfig]:
        """Return every strategy, or those of one namespace, ordered by id."""
        rows = await self._pool.fetch(
            "SELECT * FROM strategies WHERE $1::text IS NULL OR namespace = $1"
            " ORDER BY strategy_id",
            namespace.value if namespace else None,
        )
        return [_config(row) for row in rows]


def _config(row: asyncpg.Record) -> StrategyConfig:
    return StrategyConfig(
        strategy_id=row["strategy_id"],
        namespace=Namespace(row["namespace"]),
        strategy_type=row["strategy_type"],
        instruments=tuple(row["instruments"]),
        parameters=json.loads(row["parameters"]),
        risk_limits=RiskLimits.model_validate_json(row["risk_limits"]),
        paused=row["paused"],
    )
