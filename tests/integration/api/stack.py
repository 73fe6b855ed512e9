"""The API process's own wiring on the real stores, with seeded users, strategies and figures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.api.serve import api_server
from alpha_panda.api.wiring import WiredApi, ensure_api_topics
from alpha_panda.app.pre_trading_checks import infrastructure_checks
from alpha_panda.auth.key_generation import generate_hmac_key
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.roles import Role
from alpha_panda.auth.settings import AuthSettings
from alpha_panda.auth.users import UserStore
from alpha_panda.core.health import HealthRegistry
from alpha_panda.core.settings import Settings, load_settings
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from tests.conftest import eventually
from tests.integration.core.processors import Relay, Source, running, settings_for

PLACED_AT = datetime(2026, 11, 23, 4, 45, tzinfo=UTC)
PASSWORDS = {role: secrets.token_urlsafe(16) for role in Role}
"""One user per role, named after the role."""


def api_settings(
    unique: str, kafka: str, postgres: str, redis_url: str, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "service_name": "api",
        "namespace": "paper",
        "group_prefix": f"t{unique}",
        "topic_prefix": f"t{unique}.",
        "kafka_bootstrap": kafka,
        "postgres_dsn": postgres,
        "redis_url": redis_url,
        "http_port": 0,
    }
    return load_settings(**{**values, **overrides})


def auth_settings(**overrides: object) -> AuthSettings:
    key = generate_hmac_key("k1")
    assert key.secret is not None
    keys = [{"kid": key.kid, "algorithm": key.algorithm, "secret": key.secret.get_secret_value()}]
    return AuthSettings(jwt_keys=SecretStr(json.dumps(keys)), jwt_active_kid=key.kid, **overrides)


@contextlib.asynccontextmanager
async def opened_api(
    settings: Settings, auth: AuthSettings | None = None
) -> AsyncIterator[WiredApi]:
    await ensure_api_topics(settings)
    registry = HealthRegistry(infrastructure_checks(settings))
    wired = await WiredApi.open(settings, auth or auth_settings(), registry, SecretScrubber())
    try:
        yield wired
    finally:
        await wired.close()


@contextlib.asynccontextmanager
async def served_api(wired: WiredApi) -> AsyncIterator[str]:
    """Serve the application with uvicorn on a free port; yield its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = api_server(wired.app, port=0)
    task = asyncio.create_task(server.serve(sockets=[listener]))

    async def started() -> bool:
        return server.started or task.done()

    await eventually(started, what="uvicorn to start")
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def seed_users(pool: asyncpg.Pool) -> None:
    store = UserStore(UserRepository(pool))
    for role, password in PASSWORDS.items():
        await store.add(role.value, role, password)


async def login(client: httpx.AsyncClient, role: Role) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", json={"username": role.value, "password": PASSWORDS[role]}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def define(settings: Settings, pool: asyncpg.Pool, *configs: StrategyConfig) -> None:
    """Publish definitions and book their projection rows, as the risk manager would."""
    await ensure_api_topics(settings)
    definitions = DefinitionPublisher.from_settings(settings)
    await definitions.start()
    try:
        for config in configs:
            await definitions.define(config)
            await StrategyRepository(pool).upsert(config)
    finally:
        await definitions.close()


async def seed_strategies(settings: Settings, pool: asyncpg.Pool) -> None:
    await define(
        settings,
        pool,
        *(
            StrategyConfig(
                strategy_id=strategy_id,
                namespace=Namespace.PAPER,
                strategy_type=strategy_type,
                instruments=(token,),
            )
            for strategy_id, strategy_type, token in (
                ("momentum-1", "momentum", 256265),
                ("bollinger-2", "bollinger", 738561),
            )
        ),
    )


def strategy_summary(
    strategy_id: str, realized: str, unrealized: str, charges: str
) -> StrategySummary:
    gross = Decimal(realized) + Decimal(unrealized)
    return StrategySummary(
        strategy_id=strategy_id,
        realized_pnl=Decimal(realized),
        unrealized_pnl=Decimal(unrealized),
        gross_pnl=gross,
        charges=Decimal(charges),
        net_pnl=gross - Decimal(charges),
        exposure=Decimal("2480"),
        margin_used=Decimal("2480"),
        fills=2,
    )


async def publish_figures(
    client: redis.Redis,
    prefix: str,
    strategies: list[StrategySummary],
    last_price: str,
    as_of: datetime | None = None,
) -> None:
    """Write the cache as the portfolio manager does after a batch (at exchange time `as_of`)."""
    realized = sum((s.realized_pnl for s in strategies), Decimal(0))
    unrealized = sum((s.unrealized_pnl for s in strategies), Decimal(0))
    charges = sum((s.charges for s in strategies), Decimal(0))
    summary = NamespaceSummary(
        namespace=Namespace.PAPER,
        realized_pnl=realized,
        unrealized_pnl=unrealized,
        gross_pnl=realized + unrealized,
        charges=charges,
        net_pnl=realized + unrealized - charges,
        exposure=Decimal("2480"),
        margin_used=Decimal("2480"),
        fills=2 * len(strategies),
        cash=Decimal(1_000_000) + realized - charges,
        equity=Decimal(1_000_000) + realized + unrealized - charges,
        available_margin=Decimal(1_000_000) - Decimal("2480"),
    )
    position = PositionView(
        strategy_id="momentum-1",
        instrument_token=256265,
        quantity=10,
        average_price=Decimal("250.0000"),
        last_price=Decimal(last_price),
        realized_pnl=Decimal(0),
        unrealized_pnl=(Decimal(last_price) - Decimal(250)) * 10,
        charges=Decimal("1.50"),
    )
    await PortfolioCache(client, Namespace.PAPER, prefix).publish(
        summary, strategies, [position], as_of=as_of
    )


async def book_orders(pool: asyncpg.Pool, orders: list[tuple]) -> None:
    """Insert ledger order rows as the portfolio manager writes them."""
    for order_id, strategy_id, token, side, quantity, status, minute in orders:
        await pool.execute(
            "INSERT INTO ledger_orders (namespace, order_id, event_id, strategy_id,"
            " instrument_token, side, quantity, order_type, status, reason, placed_at)"
            " VALUES ('paper', $1, gen_random_uuid(), $2, $3, $4, $5, 'MARKET', $6, NULL, $7)",
            order_id,
            strategy_id,
            token,
            side,
            quantity,
            status,
            PLACED_AT + timedelta(minutes=minute),
        )


async def book_fills(pool: asyncpg.Pool, fills: list[tuple]) -> None:
    """Insert ledger fill rows (of momentum-1) as the portfolio manager writes them."""
    for fill_id, order_id, side, quantity, price, charges, minute in fills:
        await pool.execute(
            "INSERT INTO ledger_fills (namespace, fill_id, event_id, order_id, strategy_id,"
            " instrument_token, side, quantity, price, charges, filled_at)"
            " VALUES ('paper', $1, gen_random_uuid(), $2, 'momentum-1', 256265, $3, $4, $5, $6, $7)",
            fill_id,
            order_id,
            side,
            quantity,
            Decimal(price),
            Decimal(charges),
            PLACED_AT + timedelta(minutes=minute, seconds=1),
        )


async def seed_ledger(pool: asyncpg.Pool) -> None:
    """Book one complete, one partially filled and one rejected order."""
    await book_orders(
        pool,
        [
            ("o-1", "momentum-1", 256265, "BUY", 10, "COMPLETE", 0),
            ("o-2", "momentum-1", 256265, "SELL", 10, "PARTIAL", 1),
            ("o-3", "bollinger-2", 738561, "BUY", 5, "REJECTED", 2),
        ],
    )
    await book_fills(
        pool,
        [
            ("f-1", "o-1", "BUY", 10, "250.05", "1.50", 0),
            ("f-2", "o-2", "SELL", 4, "251.10", "0.90", 1),
        ],
    )


@contextlib.asynccontextmanager
async def dead_lettering(
    settings: Settings, pool: asyncpg.Pool, unique: str, topic: str, error: str
) -> AsyncIterator[tuple[Source, Settings]]:
    """Run a consumer of `topic` that refuses every event with `ValueError(error)`, so the
    runtime dead-letters it; yield a source to publish with and the consumer's settings."""
    failing_settings = settings_for(
        "failing",
        unique,
        settings.kafka_bootstrap,
        settings.postgres_dsn.get_secret_value(),
        settings.redis_url.get_secret_value(),
    )

    def refuse(_event: object) -> None:
        raise ValueError(error)

    failing = Relay(
        failing_settings,
        PostgresCheckpoints(pool, failing_settings.consumer_group),
        inputs=[topic],
        fail=refuse,
    )
    source = Source(failing_settings)
    async with running(failing, source):
        yield source, failing_settings
